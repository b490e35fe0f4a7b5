import Foundation
import GRDB
import StoplinkCore

/// `ConsentStore` on SQLite: the ledger rows, the suppressions, and the row decoders for both.
extension SQLiteStore {
    public func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome {
        try await group.write { db in try Self.recordOptOut(db, request) }
    }

    /// The value of a new event's `company_seq`: one more than the company's newest (the
    /// statement's last argument is the company id). SQLite's one writer makes it race-free, and
    /// the unique index on `(company_id, company_seq)` would refuse a second one anyway.
    static let nextCompanySeq = "(SELECT COALESCE(MAX(company_seq), 0) + 1 FROM consent_events WHERE company_id = ?)"

    /// The opt-out's ledger row, deliveries, forward emails and suppression, inside the caller's transaction.
    static func recordOptOut(_ db: Database, _ request: OptOutRequest) throws -> OptOutOutcome {
        do {
            let current = try Self.suppression(db, companyID: request.companyID, phone: request.phone)
            if let current, LedgerRules.optOut(request.scope, over: current.scope) != .record {
                return .alreadyOptedOut(current)
            }
            // Prepared once per connection: parsing these two statements on every opt-out was a
            // visible part of the opt-out's CPU in the profile.
            try db.cachedStatement(
                sql: """
                    INSERT INTO consent_events
                        (company_id, action, phone, scope, source, campaign_id, reason, reason_text, raw_text, occurred_at,
                         user_id, user_email, company_seq)
                    VALUES (?, 'opt_out', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(Self.nextCompanySeq))
                    """
            ).execute(
                arguments: [request.companyID, request.phone.e164, request.scope.rawValue, request.source.rawValue,
                            request.campaignID, request.reason, request.reasonText, request.rawText,
                            Millis.from(request.occurredAt), request.actor?.userID, request.actor?.email, request.companyID]
            )
            let seq = db.lastInsertedRowID
            try Self.enqueueDeliveries(db, companyID: request.companyID, seq: seq, action: .optOut, at: request.occurredAt)
            try Self.enqueueForwardEmails(db, companyID: request.companyID, seq: seq, at: request.occurredAt)
            try db.cachedStatement(
                sql: """
                    INSERT INTO suppressions (company_id, phone, scope, since, source, campaign_id, last_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (company_id, phone) DO UPDATE SET
                        scope = excluded.scope, since = excluded.since, source = excluded.source,
                        campaign_id = excluded.campaign_id, last_seq = excluded.last_seq
                    """
            ).execute(
                arguments: [request.companyID, request.phone.e164, request.scope.rawValue,
                            Millis.from(request.occurredAt), request.source.rawValue, request.campaignID, seq]
            )
            guard let event = try Self.events(db, where: "seq = ?", [seq]).first else {
                throw DatabaseError(message: "consent event \(seq) vanished inside its own transaction")
            }
            return .recorded(event)
        }
    }

    public func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression? {
        try await writer.read { db in try Self.suppression(db, companyID: companyID, phone: phone) }
    }

    public func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent] {
        try await writer.read { db in
            try Self.events(db, where: "e.company_id = ? AND e.phone = ?", [companyID, phone.e164], detailed: true)
        }
    }

    /// A company's suppressions with their campaign's ref; the caller adds the numbers' condition.
    static let suppressionsOfCompany = """
        SELECT s.*, c.ref AS campaign_ref FROM suppressions s
        LEFT JOIN campaigns c ON c.id = s.campaign_id
        WHERE s.company_id = ?
        """

    static let suppressionSQL = suppressionsOfCompany + " AND s.phone = ?"

    static func suppression(_ db: Database, companyID: String, phone: PhoneNumber) throws -> Suppression? {
        try Row.fetchOne(db.cachedStatement(sql: suppressionSQL), arguments: [companyID, phone.e164]).map(suppression)
    }

    static func suppression(_ row: Row) throws -> Suppression {
        Suppression(
            companyID: row["company_id"], phone: PhoneNumber(trustedE164: row["phone"]),
            scope: try decode(OptOutScope.self, row["scope"], column: "suppressions.scope"), since: Millis.date(row["since"]),
            source: try decode(ConsentSource.self, row["source"], column: "suppressions.source"), campaignRef: row["campaign_ref"]
        )
    }

    /// Events matching `condition`; `ordered` adds `ORDER BY seq` (a condition may bring its own).
    /// `cached`: keep the prepared statement (for fixed SQL); conditions that embed values, such
    /// as an `IN (...)` list, must not be cached or the cache grows without end. `detailed` also
    /// reads the raw inbound text and the actor, which only a number's history shows.
    static func events(
        _ db: Database, where condition: String, _ arguments: StatementArguments, ordered: Bool = true, cached: Bool = true,
        detailed: Bool = false
    ) throws -> [ConsentEvent] {
        // Columns by position, not by name: a feed export decodes millions of rows, and a name
        // lookup costs a lowercased copy of the name each time.
        let sql = """
            SELECT e.seq, e.company_id, e.action, e.phone, e.scope, e.source, c.ref, e.reason, e.reason_text,
                   e.evidence, e.occurred_at, e.company_seq\(detailed ? ", e.raw_text, e.user_id, e.user_email" : "")
            FROM consent_events e LEFT JOIN campaigns c ON c.id = e.campaign_id
            WHERE \(condition)\(ordered ? " ORDER BY e.seq" : "")
            """
        let statement = cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        var events: [ConsentEvent] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            events.append(ConsentEvent(
                rowID: row[0], seq: row[11], companyID: row[1], action: try decode(ConsentAction.self, row[2], column: "consent_events.action"),
                phone: PhoneNumber(trustedE164: row[3]), scope: try decode(OptOutScope.self, row[4], column: "consent_events.scope"),
                source: try decode(ConsentSource.self, row[5], column: "consent_events.source"), campaignRef: row[6], reason: row[7], reasonText: row[8],
                evidence: row[9], occurredAt: Millis.date(row[10]),
                rawText: detailed ? row[12] : nil,
                actor: detailed ? (row[13] as String?).flatMap { id in (row[14] as String?).map { ConsentActor(userID: id, email: $0) } } : nil
            ))
        }
        return events
    }

    public func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult] {
        guard !phones.isEmpty else { return [] }
        // One statement over the numbers as a JSON array: one snapshot, and only the suppressed
        // rows come back (a statement per number took a fifth of a 10,000-number check). An
        // E.164 number is "+" and digits, so it needs no escaping inside the array.
        let numbers = "[" + phones.map { "\"\($0.e164)\"" }.joined(separator: ",") + "]"
        let found = try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: Self.checkSQL), arguments: [companyID, numbers]).map(Self.suppression)
        }
        let byNumber = Dictionary(found.map { ($0.phone.e164, $0) }, uniquingKeysWith: { first, _ in first })
        return phones.map { CheckResult(phone: $0, suppression: byNumber[$0.e164]) }
    }

    static let checkSQL = suppressionsOfCompany + " AND s.phone IN (SELECT value FROM json_each(?))"

    public func recordOptIn(
        companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, actor: ConsentActor?, at: Date
    ) async throws -> ConsentEvent? {
        try await write { db in
            try Self.recordOptIn(db, companyID: companyID, phone: phone, source: source, evidence: evidence, actor: actor, at: at)
        }
    }

    /// The opt-in's ledger row and deliveries, and the suppression removed, in the caller's transaction.
    static func recordOptIn(
        _ db: Database, companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, actor: ConsentActor? = nil, at: Date
    ) throws -> ConsentEvent? {
        do {
            let current = try Self.suppression(db, companyID: companyID, phone: phone)
            guard let current, LedgerRules.optIn(over: current.scope) == .record else { return nil }
            try db.execute(
                sql: """
                    INSERT INTO consent_events
                        (company_id, action, phone, scope, source, evidence, occurred_at, user_id, user_email, company_seq)
                    VALUES (?, 'opt_in', ?, ?, ?, ?, ?, ?, ?, \(Self.nextCompanySeq))
                    """,
                arguments: [companyID, phone.e164, current.scope.rawValue, source.rawValue, evidence, Millis.from(at),
                            actor?.userID, actor?.email, companyID]
            )
            let seq = db.lastInsertedRowID
            try Self.enqueueDeliveries(db, companyID: companyID, seq: seq, action: .optIn, at: at)
            try db.execute(sql: "DELETE FROM suppressions WHERE company_id = ? AND phone = ?", arguments: [companyID, phone.e164])
            return try Self.events(db, where: "e.seq = ?", [seq]).first
        }
    }

    public func suppressions(
        companyID: String, matching filter: SuppressionFilter, after: SuppressionPosition?, limit: Int
    ) async throws -> [Suppression] {
        try await writer.read { db in
            var (condition, arguments) = Self.condition(companyID: companyID, filter)
            if let after {
                // Newest first, then by number: rows after (since, phone) in that order.
                condition += " AND (s.since < ? OR (s.since = ? AND s.phone > ?))"
                let since = Millis.from(after.since)
                _ = arguments.append(contentsOf: [since, since, after.phone.e164])
            }
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT s.*, c.ref AS campaign_ref FROM suppressions s
                    LEFT JOIN campaigns c ON c.id = s.campaign_id
                    WHERE \(condition) ORDER BY s.since DESC, s.phone LIMIT ?
                    """),
                arguments: arguments
            ).map(Self.suppression)
        }
    }

    public func suppressionCount(companyID: String, matching filter: SuppressionFilter) async throws -> Int {
        try await writer.read { db in
            let (condition, arguments) = Self.condition(companyID: companyID, filter)
            return try Int.fetchOne(
                db.cachedStatement(sql: """
                    SELECT COUNT(*) FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id WHERE \(condition)
                    """),
                arguments: arguments
            ) ?? 0
        }
    }

    /// The WHERE clause of a filtered list (at most 2^5 shapes, so its statements may be cached).
    private static func condition(companyID: String, _ filter: SuppressionFilter) -> (String, StatementArguments) {
        var parts = ["s.company_id = ?"]
        var arguments: StatementArguments = [companyID]
        if let scope = filter.scope {
            parts.append("s.scope = ?")
            _ = arguments.append(contentsOf: [scope.rawValue])
        }
        if let source = filter.source {
            parts.append("s.source = ?")
            _ = arguments.append(contentsOf: [source.rawValue])
        }
        if let ref = filter.campaignRef {
            parts.append("c.ref = ?")
            _ = arguments.append(contentsOf: [ref])
        }
        if let since = filter.since {
            parts.append("s.since >= ?")
            _ = arguments.append(contentsOf: [Millis.from(since)])
        }
        if let before = filter.before {
            parts.append("s.since < ?")
            _ = arguments.append(contentsOf: [Millis.from(before)])
        }
        return (parts.joined(separator: " AND "), arguments)
    }
}
