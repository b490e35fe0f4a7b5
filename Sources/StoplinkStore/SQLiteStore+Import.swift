import Foundation
import GRDB
import StoplinkCore

/// `ImportStore` on SQLite.
extension SQLiteStore {
    /// Rows an import writes with one set of statements; a waiting opt-out gets the writer
    /// between two of them.
    static let importChunkRows = 10_000

    public func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope, actor: ConsentActor?) async throws -> ImportCounts {
        // The scopes of an existing suppression that make a row "already" (the ledger's rule).
        let covering: [OptOutScope] = [.marketing, .all].filter { LedgerRules.importedOptOut(scope, over: $0) != .record }
        let addsOverNothing = LedgerRules.importedOptOut(scope, over: nil) == .record
        let parts = try await yieldingWrite(count: rows.count) { db, start, mustYield -> (ImportPart, Int) in
            try db.execute(sql: """
                CREATE TEMP TABLE IF NOT EXISTS import_rows (
                    i INTEGER PRIMARY KEY, phone TEXT NOT NULL, occurred_at INTEGER NOT NULL, reason TEXT, added INTEGER NOT NULL DEFAULT 0
                )
                """)
            var part = ImportPart()
            var index = start
            while index < rows.count {
                if index > start, mustYield() { break }
                let end = min(index + Self.importChunkRows, rows.count)
                part.added += try Self.importChunk(
                    db, rows: rows, range: index..<end, companyID: companyID, scope: scope, covering: covering,
                    addsOverNothing: addsOverNothing, actor: actor
                )
                part.rows += end - index
                index = end
            }
            try db.execute(sql: "DELETE FROM temp.import_rows")
            return (part, index)
        }
        var total = ImportCounts(added: 0, already: 0, addedRows: Array(repeating: false, count: rows.count))
        for part in parts {
            total.added += part.added.count
            total.already += part.rows - part.added.count
            for index in part.added { total.addedRows[index] = true }
        }
        return total
    }

    /// Writes the opt-outs of `rows[range]` with a few statements over a temporary table: the
    /// first row of each number not already opted out as widely gets a ledger row (numbered in
    /// the rows' order after the feed's head), its deliveries and its suppression. Answers the
    /// indexes of the rows added.
    private static func importChunk(
        _ db: Database, rows: [ImportRow], range: Range<Int>, companyID: String, scope: OptOutScope,
        covering: [OptOutScope], addsOverNothing: Bool, actor: ConsentActor?
    ) throws -> [Int] {
        try db.execute(sql: "DELETE FROM temp.import_rows")
        let insert = try db.cachedStatement(sql: "INSERT INTO temp.import_rows (i, phone, occurred_at, reason) VALUES (?, ?, ?, ?)")
        for index in range {
            let row = rows[index]
            try insert.execute(arguments: [index, row.phone.e164, Millis.from(row.optedOutAt), row.reason])
        }
        guard addsOverNothing else { return [] }
        let coveringList = covering.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let covered = covering.isEmpty ? "" : """
            AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.company_id = ? AND s.phone = r.phone AND s.scope IN (\(coveringList)))
            """
        // The first row of each number, unless the number is already opted out as widely.
        try db.execute(
            sql: """
                UPDATE temp.import_rows SET added = 1 WHERE i IN (
                    SELECT i FROM (SELECT i, phone, ROW_NUMBER() OVER (PARTITION BY phone ORDER BY i) AS nth FROM temp.import_rows) r
                    WHERE nth = 1 \(covered))
                """,
            arguments: covering.isEmpty ? [] : [companyID]
        )
        let added = try Int.fetchAll(db, sql: "SELECT i FROM temp.import_rows WHERE added ORDER BY i")
        guard !added.isEmpty else { return [] }
        let head = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(company_seq), 0) FROM consent_events WHERE company_id = ?", arguments: [companyID]) ?? 0
        try db.execute(
            sql: """
                INSERT INTO consent_events (company_id, action, phone, scope, source, reason, occurred_at, user_id, user_email, company_seq)
                SELECT ?, 'opt_out', phone, ?, 'import', reason, occurred_at, ?, ?, ? + ROW_NUMBER() OVER (ORDER BY i)
                FROM temp.import_rows WHERE added ORDER BY i
                """,
            arguments: [companyID, scope.rawValue, actor?.userID, actor?.email, head]
        )
        let first = head + 1, last = head + Int64(added.count)
        try enqueueDeliveries(db, companyID: companyID, feedNumbers: first...last, action: .optOut)
        try db.execute(
            sql: """
                INSERT INTO suppressions (company_id, phone, scope, since, source, last_seq)
                SELECT company_id, phone, scope, occurred_at, 'import', seq FROM consent_events
                WHERE company_id = ? AND company_seq BETWEEN ? AND ?
                ORDER BY phone
                ON CONFLICT (company_id, phone) DO UPDATE SET
                    scope = excluded.scope, since = excluded.since, source = excluded.source, campaign_id = NULL,
                    last_seq = excluded.last_seq
                """,
            arguments: [companyID, first, last]
        )
        return added
    }
}

/// What one transaction of an import did: how many rows it read, and the ones it added (their
/// places in the input).
private struct ImportPart: Sendable {
    var rows = 0
    var added: [Int] = []
}
