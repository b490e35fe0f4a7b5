import Foundation
import GRDB
import StoplinkCore

extension SQLiteStore {
    // MARK: Numbers

    public func addNumber(companyID: String, number: String, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO sms_numbers (number, company_id, created_at) VALUES (?, ?, ?) ON CONFLICT (number) DO NOTHING",
                arguments: [number, companyID, Millis.from(at)]
            )
            if db.changesCount == 1 { return true }
            return try String.fetchOne(db, sql: "SELECT company_id FROM sms_numbers WHERE number = ?", arguments: [number]) == companyID
        }
    }

    public func numbers(companyID: String) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT number FROM sms_numbers WHERE company_id = ? ORDER BY number", arguments: [companyID])
        }
    }

    public func deleteNumber(companyID: String, number: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM sms_numbers WHERE number = ? AND company_id = ?", arguments: [number, companyID])
            return db.changesCount == 1
        }
    }

    public func company(forNumber number: String) async throws -> Company? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT c.* FROM companies c JOIN sms_numbers n ON n.company_id = c.id WHERE n.number = ?", arguments: [number]
            ).map(Self.company)
        }
    }

    public func rotateInboundSecret(companyID: String) async throws -> String {
        let secret = Identifiers.webhookSecret()
        try await write { db in
            try db.execute(sql: "UPDATE companies SET inbound_secret = ? WHERE id = ?", arguments: [secret, companyID])
        }
        return secret
    }

    public func inboundSecret(companyID: String) async throws -> String? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT inbound_secret FROM companies WHERE id = ?", arguments: [companyID])
        }
    }

    // MARK: Messages

    public func processInbound(_ message: InboundMessage, decision: InboundDecision) async throws -> InboundRecord {
        try await write { db in
            if let row = try Row.fetchOne(
                db, sql: "SELECT id, action, reply, fingerprint FROM inbound_messages WHERE company_id = ? AND gateway = ? AND message_id = ?",
                arguments: [message.companyID, message.gateway.rawValue, message.messageID]
            ) {
                // A row from before fingerprints were kept has none: it counts as the same message.
                let fingerprint: String? = row["fingerprint"]
                return InboundRecord(
                    id: row["id"], action: try Self.decode(InboundAction.self, row["action"], column: "inbound_messages.action"),
                    reply: row["reply"], replayed: true, idReused: fingerprint.map { $0 != message.fingerprint } ?? false
                )
            }
            var action = decision.action
            var reply = decision.reply
            var status = InboundMessageStatus.done
            let latest = try Row.fetchOne(
                db, sql: "SELECT action, occurred_at FROM consent_events WHERE company_id = ? AND phone = ? ORDER BY seq DESC LIMIT 1",
                arguments: [message.companyID, message.from.e164]
            ).map { LatestConsent(action: try Self.decode(ConsentAction.self, $0["action"], column: "consent_events.action"),
                                  occurredAt: Millis.date($0["occurred_at"])) }
            let keyword: ConsentAction? = switch action {
            case .optOut: .optOut
            case .optIn: .optIn
            case .help, .review, .ignored: nil
            }
            if let keyword, LedgerRules.keyword(keyword, sentAt: message.receivedAt, latest: latest) == .supersededByLaterChange {
                // A STOP sent before the number's latest START arrives late (or the reverse): the later one stands.
                action = .ignored
                reply = nil
            }
            switch action {
            case .optOut:
                _ = try Self.recordOptOut(db, OptOutRequest(
                    companyID: message.companyID, phone: message.from, scope: decision.scope, source: .keyword,
                    rawText: message.text, occurredAt: message.receivedAt
                ))
            case .optIn:
                _ = try Self.recordOptIn(
                    db, companyID: message.companyID, phone: message.from, source: .keyword,
                    evidence: "SMS reply \"\(message.text.prefix(160))\" (\(message.gateway.rawValue) \(message.messageID))", at: message.receivedAt
                )
            case .review:
                status = .review
            case .help, .ignored:
                break
            }
            try db.execute(
                sql: """
                    INSERT INTO inbound_messages
                        (company_id, gateway, message_id, phone, to_number, text, received_at, action, scope, reply, status, review_deadline,
                         fingerprint)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [message.companyID, message.gateway.rawValue, message.messageID, message.from.e164, message.to, message.text,
                            Millis.from(message.receivedAt), action.rawValue, decision.scope.rawValue, reply, status.rawValue,
                            decision.reviewDeadline.map(Millis.from), message.fingerprint]
            )
            return InboundRecord(id: db.lastInsertedRowID, action: action, reply: reply, replayed: false)
        }
    }

    public func reviewQueue(companyID: String) async throws -> [ReviewItem] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM inbound_messages WHERE company_id = ? AND status = ? ORDER BY received_at, id",
                arguments: [companyID, InboundMessageStatus.review.rawValue]
            ).map(Self.reviewItem)
        }
    }

    public func reviewQueuePage(companyID: String, limit: Int, now: Date) async throws -> ReviewQueuePage {
        try await writer.read { db in
            let waiting: StatementArguments = [companyID, InboundMessageStatus.review.rawValue]
            let items = try Row.fetchAll(
                db, sql: "SELECT * FROM inbound_messages WHERE company_id = ? AND status = ? ORDER BY review_deadline, id LIMIT ?",
                arguments: waiting + [max(0, limit)]
            ).map(Self.reviewItem)
            let counts = try Row.fetchOne(
                db, sql: """
                    SELECT COUNT(*) AS total, COALESCE(SUM(review_deadline <= ?), 0) AS overdue
                    FROM inbound_messages WHERE company_id = ? AND status = ?
                    """,
                arguments: [Millis.from(now)] + waiting
            )
            return ReviewQueuePage(items: items, total: counts?["total"] ?? 0, overdue: counts?["overdue"] ?? 0)
        }
    }

    public func resolveReview(id: Int64, companyID: String, apply: Bool, actor: ConsentActor?, at: Date) async throws -> ReviewItem? {
        try await write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT * FROM inbound_messages WHERE id = ? AND company_id = ? AND status = ?",
                arguments: [id, companyID, InboundMessageStatus.review.rawValue]
            ) else { return nil }
            let item = Self.reviewItem(row)
            let latestOptIn = try Int64.fetchOne(
                db,
                sql: "SELECT MAX(occurred_at) FROM consent_events WHERE company_id = ? AND phone = ? AND action = 'opt_in'",
                arguments: [companyID, item.from.e164]
            ).map(Millis.date)
            // A START sent after the queued message stands: applying the old message changes nothing.
            if apply && LedgerRules.queuedOptOut(receivedAt: item.receivedAt, latestOptInAt: latestOptIn) == .record {
                _ = try Self.recordOptOut(db, OptOutRequest(
                    companyID: companyID, phone: item.from, scope: try Self.decode(OptOutScope.self, row["scope"], column: "inbound_messages.scope"),
                    source: .keyword, rawText: item.text, occurredAt: item.receivedAt, actor: actor
                ))
            }
            try db.execute(
                sql: "UPDATE inbound_messages SET status = ?, action = ?, resolved_at = ? WHERE id = ?",
                arguments: [(apply ? InboundMessageStatus.applied : .dismissed).rawValue, apply ? InboundAction.optOut.rawValue : InboundAction.ignored.rawValue,
                            Millis.from(at), id]
            )
            return item
        }
    }

    static func reviewItem(_ row: Row) -> ReviewItem {
        ReviewItem(
            id: row["id"], from: PhoneNumber(trustedE164: row["phone"]), to: row["to_number"], text: row["text"],
            receivedAt: Millis.date(row["received_at"]), deadline: Millis.date(row["review_deadline"] ?? row["received_at"])
        )
    }
}
