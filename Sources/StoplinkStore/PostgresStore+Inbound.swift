import Foundation
import PostgresNIO
import StoplinkCore

/// `InboundStore` on PostgreSQL.
extension PostgresStore {
    // MARK: Numbers

    public func addNumber(companyID: String, number: String, at: Date) async throws -> Bool {
        try await write { connection in
            let added = try await connection.count(
                """
                INSERT INTO sms_numbers (number, company_id, created_at) VALUES (\(number), \(companyID), \(Millis.from(at)))
                ON CONFLICT (number) DO NOTHING RETURNING 1
                """,
                logger: logger
            )
            if added == 1 { return true }
            // The conflict waited for the other insert to commit, so its row is visible here.
            let owner = try await connection.scalar("SELECT company_id FROM sms_numbers WHERE number = \(number)", as: String.self, logger: logger)
            return owner == companyID
        }
    }

    public func numbers(companyID: String) async throws -> [String] {
        try await read { connection in
            try await connection.all(
                "SELECT number FROM sms_numbers WHERE company_id = \(companyID) ORDER BY number COLLATE \"C\"", logger: logger
            ) { try $0.value("number", as: String.self) }
        }
    }

    public func deleteNumber(companyID: String, number: String) async throws -> Bool {
        try await write { connection in
            try await connection.count(
                "DELETE FROM sms_numbers WHERE number = \(number) AND company_id = \(companyID) RETURNING 1", logger: logger
            ) == 1
        }
    }

    public func company(forNumber number: String) async throws -> Company? {
        try await read { connection in
            try await connection.first(
                "SELECT c.* FROM companies c JOIN sms_numbers n ON n.company_id = c.id WHERE n.number = \(number)",
                logger: logger, Self.company
            )
        }
    }

    public func rotateInboundSecret(companyID: String) async throws -> String {
        let secret = Identifiers.webhookSecret()
        try await write { connection in
            try await connection.execute("UPDATE companies SET inbound_secret = \(secret) WHERE id = \(companyID)", logger: logger)
        }
        return secret
    }

    public func inboundSecret(companyID: String) async throws -> String? {
        try await read { connection in
            try await connection.scalar(
                "SELECT inbound_secret FROM companies WHERE id = \(companyID)", as: String?.self, logger: logger
            ) ?? nil
        }
    }

    // MARK: Messages

    public func processInbound(_ message: InboundMessage, decision: InboundDecision) async throws -> InboundRecord {
        try await write { connection in
            var action = decision.action
            var reply = decision.reply
            let keyword: ConsentAction? = switch action {
            case .optOut: .optOut
            case .optIn: .optIn
            case .help, .review, .ignored: nil
            }
            if let keyword {
                // Every ledger write takes the company row's lock: with it held, the number's
                // latest change cannot move between this read and the write below.
                try await Self.lockFeed(connection, companyID: message.companyID, logger: logger)
                let latest = try await connection.first(
                    """
                    SELECT action, occurred_at FROM consent_events
                    WHERE company_id = \(message.companyID) AND phone = \(message.from.e164) ORDER BY seq DESC LIMIT 1
                    """,
                    logger: logger
                ) { row in
                    LatestConsent(
                        action: try Self.decode(ConsentAction.self, try row.value("action"), column: "consent_events.action"),
                        occurredAt: try row.date("occurred_at")
                    )
                }
                if LedgerRules.keyword(keyword, sentAt: message.receivedAt, latest: latest) == .supersededByLaterChange {
                    // A STOP sent before the number's latest START arrives late (or the reverse): the later one stands.
                    action = .ignored
                    reply = nil
                }
            }
            let status: InboundMessageStatus = action == .review ? .review : .done
            // The unique (company, gateway, message id) admits one delivery; a replay racing the
            // first waits here for it to commit and then finds its row (drawn again only if a
            // purge took that row away in between).
            while true {
                let inserted = try await connection.scalar(
                    """
                    INSERT INTO inbound_messages
                        (company_id, gateway, message_id, phone, to_number, text, received_at, action, scope, reply, status,
                         review_deadline, fingerprint)
                    VALUES (\(message.companyID), \(message.gateway.rawValue), \(message.messageID), \(message.from.e164), \(message.to),
                            \(message.text), \(Millis.from(message.receivedAt)), \(action.rawValue), \(decision.scope.rawValue),
                            \(reply)::text, \(status.rawValue), \(decision.reviewDeadline.map(Millis.from))::bigint, \(message.fingerprint))
                    ON CONFLICT (company_id, gateway, message_id) DO NOTHING RETURNING id
                    """,
                    as: Int64.self, logger: logger
                )
                if let id = inserted {
                    try await Self.apply(action, of: message, scope: decision.scope, connection, logger: logger)
                    return InboundRecord(id: id, action: action, reply: reply, replayed: false)
                }
                if let first = try await Self.firstRecord(connection, of: message, logger: logger) { return first }
            }
        }
    }

    /// Records what a new message asks for in the ledger, inside the caller's transaction.
    private static func apply(
        _ action: InboundAction, of message: InboundMessage, scope: OptOutScope, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        switch action {
        case .optOut:
            _ = try await recordOptOut(connection, OptOutRequest(
                companyID: message.companyID, phone: message.from, scope: scope, source: .keyword,
                rawText: message.text, occurredAt: message.receivedAt
            ), logger: logger)
        case .optIn:
            _ = try await recordOptIn(
                connection, companyID: message.companyID, phone: message.from, source: .keyword,
                evidence: "SMS reply \"\(message.text.prefix(160))\" (\(message.gateway.rawValue) \(message.messageID))",
                at: message.receivedAt, logger: logger
            )
        case .help, .review, .ignored:
            break
        }
    }

    /// The stored record of a message id seen before, as a replay of `message` gets it back.
    private static func firstRecord(_ connection: PostgresConnection, of message: InboundMessage, logger: Logger) async throws -> InboundRecord? {
        try await connection.first(
            """
            SELECT id, action, reply, fingerprint FROM inbound_messages
            WHERE company_id = \(message.companyID) AND gateway = \(message.gateway.rawValue) AND message_id = \(message.messageID)
            """,
            logger: logger
        ) { row in
            // A row from before fingerprints were kept has none: it counts as the same message.
            let fingerprint = try row.value("fingerprint", as: String?.self)
            return InboundRecord(
                id: try row.value("id"), action: try decode(InboundAction.self, try row.value("action"), column: "inbound_messages.action"),
                reply: try row.value("reply"), replayed: true, idReused: fingerprint.map { $0 != message.fingerprint } ?? false
            )
        }
    }

    public func reviewQueue(companyID: String) async throws -> [ReviewItem] {
        try await read { connection in
            try await connection.all(
                """
                SELECT * FROM inbound_messages WHERE company_id = \(companyID) AND status = \(InboundMessageStatus.review.rawValue)
                ORDER BY received_at, id
                """,
                logger: logger, Self.reviewItem
            )
        }
    }

    public func reviewQueuePage(companyID: String, limit: Int, now: Date) async throws -> ReviewQueuePage {
        let waiting = InboundMessageStatus.review.rawValue
        return try await read { connection in
            // One statement, so the page and its counts come from one snapshot.
            var total = 0
            var overdue = 0
            let items = try await connection.all(
                """
                WITH queue AS (
                    SELECT * FROM inbound_messages WHERE company_id = \(companyID) AND status = \(waiting)
                ), counts AS (
                    SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE review_deadline <= \(Millis.from(now))) AS overdue FROM queue
                )
                SELECT counts.total, counts.overdue, head.* FROM counts
                LEFT JOIN LATERAL (SELECT * FROM queue ORDER BY review_deadline, id LIMIT \(Int64(max(0, limit)))) head ON TRUE
                ORDER BY head.review_deadline, head.id
                """,
                logger: logger
            ) { row -> ReviewItem? in
                total = Int(try row.value("total", as: Int64.self))
                overdue = Int(try row.value("overdue", as: Int64.self))
                return try row.value("id", as: Int64?.self) == nil ? nil : try Self.reviewItem(row)
            }
            return ReviewQueuePage(items: items.compactMap { $0 }, total: total, overdue: overdue)
        }
    }

    public func resolveReview(id: Int64, companyID: String, apply: Bool, actor: ConsentActor?, at: Date) async throws -> ReviewItem? {
        try await write { connection in
            // The row's lock makes a second caller wait; it then sees the status changed and gets nil.
            guard let found = try await connection.first(
                """
                SELECT * FROM inbound_messages
                WHERE id = \(id) AND company_id = \(companyID) AND status = \(InboundMessageStatus.review.rawValue) FOR UPDATE
                """,
                logger: logger, { row in
                    (try Self.reviewItem(row), try Self.decode(OptOutScope.self, try row.value("scope"), column: "inbound_messages.scope"))
                }
            ) else { return nil }
            let (item, scope) = found
            if apply {
                // The number's opt-ins cannot change while the company row is locked.
                try await Self.lockFeed(connection, companyID: companyID, logger: logger)
                let latestOptIn = try await connection.scalar(
                    """
                    SELECT MAX(occurred_at) FROM consent_events
                    WHERE company_id = \(companyID) AND phone = \(item.from.e164) AND action = 'opt_in'
                    """,
                    as: Int64?.self, logger: logger
                ).flatMap { $0 }.map(Millis.date)
                // A START sent after the queued message stands: applying the old message changes nothing.
                if LedgerRules.queuedOptOut(receivedAt: item.receivedAt, latestOptInAt: latestOptIn) == .record {
                    _ = try await Self.recordOptOut(connection, OptOutRequest(
                        companyID: companyID, phone: item.from, scope: scope, source: .keyword, rawText: item.text,
                        occurredAt: item.receivedAt, actor: actor
                    ), logger: logger)
                }
            }
            let (status, action) = apply ? (InboundMessageStatus.applied, InboundAction.optOut) : (.dismissed, .ignored)
            try await connection.execute(
                """
                UPDATE inbound_messages SET status = \(status.rawValue), action = \(action.rawValue), resolved_at = \(Millis.from(at))
                WHERE id = \(id)
                """,
                logger: logger
            )
            return item
        }
    }

    static func reviewItem(_ row: PostgresRandomAccessRow) throws -> ReviewItem {
        let received = try row.date("received_at")
        return ReviewItem(
            id: try row.value("id"), from: PhoneNumber(trustedE164: try row.value("phone")), to: try row.value("to_number"),
            text: try row.value("text"), receivedAt: received, deadline: try row.optionalDate("review_deadline") ?? received
        )
    }
}
