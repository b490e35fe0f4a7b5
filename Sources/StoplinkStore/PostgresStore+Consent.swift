import Foundation
import PostgresNIO
import StoplinkCore

/// `ConsentStore` on PostgreSQL: the ledger rows, the suppressions, and the row decoders for both.
///
/// Every ledger write first locks its company's row (`lockFeed`) and only then reads the
/// number's current suppression: two processes opting out one number at once queue on that
/// lock, and the second sees the first's row. The same lock numbers the company's feed in commit
/// order and each webhook endpoint's deliveries.
extension PostgresStore {
    public func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome {
        try await write { connection in try await Self.recordOptOut(connection, request, logger: logger) }
    }

    public func recordOptIn(
        companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, actor: ConsentActor?, at: Date
    ) async throws -> ConsentEvent? {
        try await write { connection in
            try await Self.recordOptIn(
                connection, companyID: companyID, phone: phone, source: source, evidence: evidence, actor: actor, at: at, logger: logger
            )
        }
    }

    public func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression? {
        try await read { connection in try await Self.suppression(connection, companyID: companyID, phone: phone, logger: logger) }
    }

    public func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent] {
        try await read { connection in
            try await Self.events(
                connection,
                """
                SELECT \(unescaped: Self.eventColumns), \(unescaped: Self.eventDetailColumns) \(unescaped: Self.eventSource)
                WHERE e.company_id = \(companyID) AND e.phone = \(phone.e164) ORDER BY e.seq
                """,
                detailed: true, logger: logger
            )
        }
    }

    public func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult] {
        guard !phones.isEmpty else { return [] }
        // One statement, so one snapshot for every number.
        let numbers = Array(Set(phones.map(\.e164)))
        let found = try await read { connection in
            try await connection.all(
                """
                SELECT s.*, c.ref AS campaign_ref FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id
                WHERE s.company_id = \(companyID) AND s.phone = ANY(\(numbers))
                """,
                logger: logger, Self.suppression
            )
        }
        let byNumber = Dictionary(found.map { ($0.phone.e164, $0) }, uniquingKeysWith: { first, _ in first })
        return phones.map { CheckResult(phone: $0, suppression: byNumber[$0.e164]) }
    }

    public func suppressions(
        companyID: String, matching filter: SuppressionFilter, after: SuppressionPosition?, limit: Int
    ) async throws -> [Suppression] {
        // Newest first, then by number: rows after (since, phone) in that order. A filter left nil
        // is a NULL parameter, which PostgreSQL folds away when it plans the statement.
        let afterSince = after.map { Millis.from($0.since) }
        let afterPhone = after?.phone.e164
        return try await read { connection in
            try await connection.all(
                """
                SELECT s.*, c.ref AS campaign_ref FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id
                WHERE \(Self.condition(companyID: companyID, filter))
                  AND (\(afterSince)::bigint IS NULL OR s.since < \(afterSince) OR (s.since = \(afterSince) AND s.phone > \(afterPhone)))
                ORDER BY s.since DESC, s.phone LIMIT \(Int64(max(0, limit)))
                """,
                logger: logger, Self.suppression
            )
        }
    }

    public func suppressionCount(companyID: String, matching filter: SuppressionFilter) async throws -> Int {
        try await read { connection in
            Int(try await connection.scalar(
                """
                SELECT COUNT(*) FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id
                WHERE \(Self.condition(companyID: companyID, filter))
                """,
                as: Int64.self, logger: logger
            ) ?? 0)
        }
    }

    static func suppression(_ connection: PostgresConnection, companyID: String, phone: PhoneNumber, logger: Logger) async throws -> Suppression? {
        try await connection.first(
            """
            SELECT s.*, c.ref AS campaign_ref FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id
            WHERE s.company_id = \(companyID) AND s.phone = \(phone.e164)
            """,
            logger: logger, suppression
        )
    }

    /// A `suppressions` row with its campaign's `campaign_ref`.
    static func suppression(_ row: PostgresRandomAccessRow) throws -> Suppression {
        Suppression(
            companyID: try row.value("company_id"), phone: PhoneNumber(trustedE164: try row.value("phone")),
            scope: try decode(OptOutScope.self, try row.value("scope"), column: "suppressions.scope"), since: try row.date("since"),
            source: try decode(ConsentSource.self, try row.value("source"), column: "suppressions.source"),
            campaignRef: try row.value("campaign_ref")
        )
    }
}

extension PostgresQuery.StringInterpolation {
    /// The WHERE clause of a filtered suppression list over `suppressions s` and `campaigns c`.
    mutating func appendInterpolation(_ condition: SuppressionCondition) {
        let filter = condition.filter
        let since = filter.since.map(Millis.from)
        let before = filter.before.map(Millis.from)
        appendLiteral("s.company_id = ")
        appendInterpolation(condition.companyID)
        appendLiteral(" AND (")
        appendInterpolation(filter.scope?.rawValue)
        appendLiteral("::text IS NULL OR s.scope = ")
        appendInterpolation(filter.scope?.rawValue)
        appendLiteral(") AND (")
        appendInterpolation(filter.source?.rawValue)
        appendLiteral("::text IS NULL OR s.source = ")
        appendInterpolation(filter.source?.rawValue)
        appendLiteral(") AND (")
        appendInterpolation(filter.campaignRef)
        appendLiteral("::text IS NULL OR c.ref = ")
        appendInterpolation(filter.campaignRef)
        appendLiteral(") AND (")
        appendInterpolation(since)
        appendLiteral("::bigint IS NULL OR s.since >= ")
        appendInterpolation(since)
        appendLiteral(") AND (")
        appendInterpolation(before)
        appendLiteral("::bigint IS NULL OR s.since < ")
        appendInterpolation(before)
        appendLiteral(")")
    }
}

/// A company's suppressions that match a filter, as a query's condition.
struct SuppressionCondition {
    var companyID: String
    var filter: SuppressionFilter
}

extension PostgresStore {
    static func condition(companyID: String, _ filter: SuppressionFilter) -> SuppressionCondition {
        SuppressionCondition(companyID: companyID, filter: filter)
    }
}

/// Ledger steps other parts run inside their own transactions.
extension PostgresStore {
    /// The opt-out's ledger row (its feed number taken under the company row's lock), webhook
    /// deliveries, forward emails and suppression, inside the caller's transaction.
    static func recordOptOut(_ connection: PostgresConnection, _ request: OptOutRequest, logger: Logger) async throws -> OptOutOutcome {
        try await lockFeed(connection, companyID: request.companyID, logger: logger)
        // Read after the lock: a parallel opt-out of this number has committed or not started.
        let current = try await suppression(connection, companyID: request.companyID, phone: request.phone, logger: logger)
        if let current, LedgerRules.optOut(request.scope, over: current.scope) != .record {
            return .alreadyOptedOut(current)
        }
        let feedNumber = try await takeFeedNumbers(connection, companyID: request.companyID, count: 1, logger: logger)
        let event = try await insertEvent(
            connection,
            """
            INSERT INTO consent_events
                (company_id, company_seq, action, phone, scope, source, campaign_id, reason, reason_text, raw_text, occurred_at,
                 user_id, user_email)
            VALUES (\(request.companyID), \(feedNumber), 'opt_out', \(request.phone.e164), \(request.scope.rawValue),
                    \(request.source.rawValue), \(request.campaignID), \(request.reason), \(request.reasonText), \(request.rawText),
                    \(Millis.from(request.occurredAt)), \(request.actor?.userID), \(request.actor?.email))
            RETURNING \(unescaped: insertedEventColumns)
            """,
            logger: logger
        )
        try await enqueueDeliveries(connection, companyID: request.companyID, feedNumbers: feedNumber...feedNumber, action: .optOut, logger: logger)
        try await enqueueForwardEmails(connection, companyID: request.companyID, seq: event.rowID, at: request.occurredAt, logger: logger)
        try await applyOptOuts(connection, companyID: request.companyID, feedNumbers: feedNumber...feedNumber, logger: logger)
        return .recorded(event)
    }

    /// An opt-in's ledger row, deliveries and the suppression's removal, inside the caller's
    /// transaction; nil when the number was not opted out.
    static func recordOptIn(
        _ connection: PostgresConnection, companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String,
        actor: ConsentActor? = nil, at: Date, logger: Logger
    ) async throws -> ConsentEvent? {
        try await lockFeed(connection, companyID: companyID, logger: logger)
        let current = try await suppression(connection, companyID: companyID, phone: phone, logger: logger)
        guard let current, LedgerRules.optIn(over: current.scope) == .record else { return nil }
        let feedNumber = try await takeFeedNumbers(connection, companyID: companyID, count: 1, logger: logger)
        let event = try await insertEvent(
            connection,
            """
            INSERT INTO consent_events
                (company_id, company_seq, action, phone, scope, source, evidence, occurred_at, user_id, user_email)
            VALUES (\(companyID), \(feedNumber), 'opt_in', \(phone.e164), \(current.scope.rawValue), \(source.rawValue), \(evidence),
                    \(Millis.from(at)), \(actor?.userID), \(actor?.email))
            RETURNING \(unescaped: insertedEventColumns)
            """,
            logger: logger
        )
        try await enqueueDeliveries(connection, companyID: companyID, feedNumbers: feedNumber...feedNumber, action: .optIn, logger: logger)
        try await connection.execute("DELETE FROM suppressions WHERE company_id = \(companyID) AND phone = \(phone.e164)", logger: logger)
        return event
    }

    /// Ledger rows by their row ids (`ConsentEvent.rowID`, the `seq` column), oldest first.
    static func events(_ connection: PostgresConnection, rowIDs: [Int64], logger: Logger) async throws -> [ConsentEvent] {
        guard !rowIDs.isEmpty else { return [] }
        return try await events(
            connection,
            "SELECT \(unescaped: eventColumns) \(unescaped: eventSource) WHERE e.seq = ANY(\(rowIDs)) ORDER BY e.seq",
            logger: logger
        )
    }

    /// Inserts the webhook deliveries of the event `seq` for every enabled endpoint of the
    /// company that wants `action`, numbered per endpoint. The caller holds the company row's
    /// lock (every ledger write takes it), so two events never take the same number.
    static func enqueueDeliveries(
        _ connection: PostgresConnection, companyID: String, seq: Int64, action: ConsentAction, at: Date, logger: Logger
    ) async throws {
        guard let feedNumber = try await connection.scalar(
            "SELECT company_seq FROM consent_events WHERE seq = \(seq) AND company_id = \(companyID)", as: Int64.self, logger: logger
        ) else { return }
        try await enqueueDeliveries(connection, companyID: companyID, feedNumbers: feedNumber...feedNumber, action: action, at: at, logger: logger)
    }

    /// Inserts the forward emails of the event `seq` for every recipient that wants them.
    static func enqueueForwardEmails(_ connection: PostgresConnection, companyID: String, seq: Int64, at: Date, logger: Logger) async throws {
        let now = Millis.from(at)
        try await connection.execute(
            """
            INSERT INTO emails (company_id, address, kind, seq, next_attempt_at, created_at)
            SELECT company_id, address, 'forward', \(seq), \(now), \(now) FROM email_recipients
            WHERE company_id = \(companyID) AND forward
            """,
            logger: logger
        )
    }

    /// Locks the company's row until the transaction ends and answers its feed head. Every
    /// ledger write takes this lock before it reads the state it decides on, so the company's
    /// ledger writers run one after another, across connections and processes. `NO KEY UPDATE`:
    /// rows that merely reference the company (links, keys, ...) are still inserted meanwhile.
    /// Taking it again in the same transaction is harmless.
    @discardableResult
    static func lockFeed(_ connection: PostgresConnection, companyID: String, logger: Logger) async throws -> Int64 {
        guard let head = try await connection.scalar(
            "SELECT feed_head FROM companies WHERE id = \(companyID) FOR NO KEY UPDATE", as: Int64.self, logger: logger
        ) else { throw StoreError.companyNotFound(companyID) }
        return head
    }

    /// Takes the company's next `count` feed numbers and answers the last; the caller holds
    /// `lockFeed`, so the numbers become visible in commit order, without gaps.
    static func takeFeedNumbers(_ connection: PostgresConnection, companyID: String, count: Int, logger: Logger) async throws -> Int64 {
        guard let head = try await connection.scalar(
            "UPDATE companies SET feed_head = feed_head + \(Int64(count)) WHERE id = \(companyID) RETURNING feed_head",
            as: Int64.self, logger: logger
        ) else { throw StoreError.companyNotFound(companyID) }
        return head
    }

    /// The webhook deliveries of the company's events with these feed numbers (all of `action`),
    /// for every enabled endpoint that wants it, numbered per endpoint in feed order, due at
    /// `at` or else at each event's own time. Safe only under `lockFeed`: `MAX(number) + 1`
    /// reads no number that a parallel transaction is about to take.
    static func enqueueDeliveries(
        _ connection: PostgresConnection, companyID: String, feedNumbers: ClosedRange<Int64>, action: ConsentAction, at: Date? = nil,
        logger: Logger
    ) async throws {
        let at = at.map(Millis.from)
        try await connection.execute(
            """
            INSERT INTO webhook_deliveries (endpoint_id, seq, next_attempt_at, created_at, number)
            SELECT w.id, e.seq, COALESCE(\(at)::bigint, e.occurred_at), COALESCE(\(at)::bigint, e.occurred_at),
                   COALESCE((SELECT MAX(d.number) FROM webhook_deliveries d WHERE d.endpoint_id = w.id), 0)
                       + row_number() OVER (PARTITION BY w.id ORDER BY e.company_seq)
            FROM webhook_endpoints w
            JOIN consent_events e ON e.company_id = w.company_id
                AND e.company_seq BETWEEN \(feedNumbers.lowerBound) AND \(feedNumbers.upperBound)
            WHERE w.company_id = \(companyID) AND w.enabled
              AND (w.event_types::jsonb = '[]'::jsonb OR w.event_types::jsonb ? \(WebhookEventType.of(action)))
            ORDER BY w.id, e.company_seq
            """,
            logger: logger
        )
    }

    /// The suppressions that the company's opt-outs with these feed numbers set (each number at
    /// most once among them), over whatever the numbers had.
    static func applyOptOuts(_ connection: PostgresConnection, companyID: String, feedNumbers: ClosedRange<Int64>, logger: Logger) async throws {
        try await connection.execute(
            """
            INSERT INTO suppressions (company_id, phone, scope, since, source, campaign_id, last_seq)
            SELECT company_id, phone, scope, occurred_at, source, campaign_id, seq FROM consent_events
            WHERE company_id = \(companyID) AND company_seq BETWEEN \(feedNumbers.lowerBound) AND \(feedNumbers.upperBound)
            ON CONFLICT (company_id, phone) DO UPDATE SET
                scope = excluded.scope, since = excluded.since, source = excluded.source,
                campaign_id = excluded.campaign_id, last_seq = excluded.last_seq
            """,
            logger: logger
        )
    }

    // MARK: - Reading events

    /// The columns `event(_:detailed:)` decodes, by position, over `consent_events e` and `campaigns c`.
    static let eventColumns = """
        e.seq, e.company_id, e.action, e.phone, e.scope, e.source, c.ref, e.reason, e.reason_text, e.evidence, e.occurred_at, \
        e.company_seq
        """
    /// What only a number's history reads, after `eventColumns`.
    static let eventDetailColumns = "e.raw_text, e.user_id, e.user_email"
    static let eventSource = "FROM consent_events e LEFT JOIN campaigns c ON c.id = e.campaign_id"
    /// `eventColumns` of a row that `INSERT INTO consent_events ... RETURNING` answers.
    static let insertedEventColumns = """
        seq, company_id, action, phone, scope, source, (SELECT ref FROM campaigns WHERE campaigns.id = consent_events.campaign_id), \
        reason, reason_text, evidence, occurred_at, company_seq
        """

    /// The events a query over `eventColumns` (then `eventDetailColumns` when `detailed`)
    /// answers, in its order.
    static func events(_ connection: PostgresConnection, _ query: PostgresQuery, detailed: Bool = false, logger: Logger) async throws -> [ConsentEvent] {
        try await connection.rows(query, logger: logger).map { try event($0, detailed: detailed) }
    }

    /// One event; columns by position, not by name: a feed export decodes millions of rows.
    static func event(_ row: PostgresRow, detailed: Bool = false) throws -> ConsentEvent {
        let (rowID, companyID, action, phone, scope, source, campaignRef, reason, reasonText, evidence, occurredAt, seq) = try row.decode(
            (Int64, String, String, String, String, String, String?, String?, String?, String?, Int64, Int64).self
        )
        var event = ConsentEvent(
            rowID: rowID, seq: seq, companyID: companyID, action: try decode(ConsentAction.self, action, column: "consent_events.action"),
            phone: PhoneNumber(trustedE164: phone), scope: try decode(OptOutScope.self, scope, column: "consent_events.scope"),
            source: try decode(ConsentSource.self, source, column: "consent_events.source"), campaignRef: campaignRef, reason: reason,
            reasonText: reasonText, evidence: evidence, occurredAt: Millis.date(occurredAt)
        )
        if detailed {
            let cells = row.makeRandomAccess()
            event.rawText = try cells[12].decode(String?.self)
            if let userID = try cells[13].decode(String?.self), let email = try cells[14].decode(String?.self) {
                event.actor = ConsentActor(userID: userID, email: email)
            }
        }
        return event
    }

    /// Runs an `INSERT INTO consent_events ... RETURNING insertedEventColumns` and answers its event.
    private static func insertEvent(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> ConsentEvent {
        guard let event = try await events(connection, query, logger: logger).first else {
            throw LedgerRowMissing(description: "INSERT INTO consent_events answered no row")
        }
        return event
    }
}

/// A row the transaction itself just wrote could not be read back: the database did not do what
/// PostgreSQL promises, so the transaction is rolled back rather than answered.
struct LedgerRowMissing: Error, CustomStringConvertible {
    let description: String
}
