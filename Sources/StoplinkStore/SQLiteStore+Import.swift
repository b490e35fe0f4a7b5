import Foundation
import GRDB
import StoplinkCore

/// `ImportStore` on SQLite.
extension SQLiteStore {
    public func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope, actor: ConsentActor?) async throws -> ImportCounts {
        let parts = try await yieldingWrite(count: rows.count) { db, start, mustYield in
            let exists = try db.cachedStatement(sql: "SELECT scope FROM suppressions WHERE company_id = ? AND phone = ?")
            let event = try db.cachedStatement(sql: """
                INSERT INTO consent_events (company_id, action, phone, scope, source, reason, occurred_at, user_id, user_email, company_seq)
                VALUES (?, 'opt_out', ?, ?, 'import', ?, ?, ?, ?, \(Self.nextCompanySeq))
                """)
            let suppression = try db.cachedStatement(sql: """
                INSERT INTO suppressions (company_id, phone, scope, since, source, last_seq) VALUES (?, ?, ?, ?, 'import', ?)
                ON CONFLICT (company_id, phone) DO UPDATE SET
                    scope = excluded.scope, since = excluded.since, source = excluded.source, campaign_id = NULL,
                    last_seq = excluded.last_seq
                """)
            var counts = ImportCounts(added: 0, already: 0)
            counts.addedRows.reserveCapacity(rows.count - start)
            for index in start..<rows.count {
                if index > start, (index - start) % Self.yieldingWriteStep == 0, mustYield() { return (counts, index) }
                let row = rows[index]
                let current = try String.fetchOne(exists, arguments: [companyID, row.phone.e164])
                    .map { try Self.decode(OptOutScope.self, $0, column: "suppressions.scope") }
                if LedgerRules.importedOptOut(scope, over: current) != .record {
                    counts.already += 1
                    counts.addedRows.append(false)
                    continue
                }
                let when = Millis.from(row.optedOutAt)
                try event.execute(arguments: [companyID, row.phone.e164, scope.rawValue, row.reason, when, actor?.userID, actor?.email, companyID])
                let seq = db.lastInsertedRowID
                try Self.enqueueDeliveries(db, companyID: companyID, seq: seq, action: .optOut, at: row.optedOutAt)
                try suppression.execute(arguments: [companyID, row.phone.e164, scope.rawValue, when, seq])
                counts.added += 1
                counts.addedRows.append(true)
            }
            return (counts, rows.count)
        }
        var total = ImportCounts(added: 0, already: 0)
        total.addedRows.reserveCapacity(rows.count)
        for part in parts {
            total.added += part.added
            total.already += part.already
            total.addedRows += part.addedRows
        }
        return total
    }
}
