import Foundation
import GRDB
import StoplinkCore

/// `RetentionStore` on SQLite.
extension SQLiteStore {
    public func purgeExpired(at now: Date, batchSize: Int) async throws -> PurgeCounts {
        let companies = try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, retain_visits_days, retain_reasons_days, retain_inbound_days FROM companies ORDER BY id"
            ).map { row in
                (id: row["id"] as String, periods: RetentionPeriods(
                    visitsDays: row["retain_visits_days"], reasonsDays: row["retain_reasons_days"], inboundDays: row["retain_inbound_days"]
                ))
            }
        }
        var counts = PurgeCounts()
        for company in companies {
            let cutoffs = company.periods.cutoffs(now: now)
            let (visits, reasons, inbound) = (Millis.from(cutoffs.visits), Millis.from(cutoffs.reasons), Millis.from(cutoffs.inbound))
            counts.visits += try await inBatches(of: batchSize) { db in
                try Self.purgeVisits(companyID: company.id, before: visits, limit: batchSize, in: db)
            }
            counts.reasonTexts += try await clearLedger(.reasonText, companyID: company.id, before: reasons, batchSize: batchSize)
            counts.inboundTexts += try await clearLedger(.rawText, companyID: company.id, before: inbound, batchSize: batchSize)
            counts.inboundTexts += try await inBatches(of: batchSize) { db in
                try db.execute(
                    sql: """
                        UPDATE inbound_messages SET text = '' WHERE id IN (
                            SELECT id FROM inbound_messages
                            WHERE company_id = ? AND text != '' AND received_at < ? AND status != 'review' LIMIT ?)
                        """,
                    arguments: [company.id, inbound, batchSize]
                )
                return db.changesCount
            }
        }
        return counts
    }

    /// The ledger's free-text columns a purge clears.
    private enum LedgerText: String {
        case reasonText = "reason_text"
        case rawText = "raw_text"
    }

    /// Clears `column` of a company's ledger rows before `before`; answers the rows cleared.
    private func clearLedger(_ column: LedgerText, companyID: String, before: Int64, batchSize: Int) async throws -> Int {
        let name = column.rawValue
        return try await inBatches(of: batchSize) { db in
            try db.execute(
                sql: """
                    UPDATE consent_events SET \(name) = NULL WHERE seq IN (
                        SELECT seq FROM consent_events WHERE company_id = ? AND \(name) IS NOT NULL AND occurred_at < ? LIMIT ?)
                    """,
                arguments: [companyID, before, batchSize]
            )
            return db.changesCount
        }
    }

    /// Runs `batch` in its own transaction until it changes fewer than `size` rows; answers
    /// the rows changed in all.
    private func inBatches(of size: Int, _ batch: @escaping @Sendable (Database) throws -> Int) async throws -> Int {
        var total = 0
        while true {
            try Task.checkCancellation()
            let changed = try await backgroundWrite(batch)
            total += changed
            if changed < size { return total }
        }
    }

    /// Deletes up to `limit` of a company's visits before `before`, adding their counts to the
    /// purged totals: unique visitors by what the deletion took from the distinct count, so the
    /// totals plus what is left give the numbers from before. Answers the visits deleted.
    private static func purgeVisits(companyID: String, before: Int64, limit: Int, in db: Database) throws -> Int {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT v.id, v.link_id, v.kind, l.campaign_id FROM visits v JOIN links l ON l.id = v.link_id
                WHERE v.at < ? AND l.company_id = ? LIMIT ?
                """,
            arguments: [before, companyID, limit]
        )
        guard !rows.isEmpty else { return 0 }
        var perLink: [Int64: (human: Int, bot: Int)] = [:]
        var campaigns: Set<Int64> = []
        for row in rows {
            let link: Int64 = row["link_id"]
            let human = (row["kind"] as String) == VisitKind.human.rawValue
            perLink[link, default: (0, 0)].human += human ? 1 : 0
            perLink[link, default: (0, 0)].bot += human ? 0 : 1
            campaigns.insert(row["campaign_id"])
        }
        let linkUnique = try db.cachedStatement(
            sql: "SELECT COUNT(DISTINCT visitor) FROM visits WHERE link_id = ? AND kind = 'human'"
        )
        let campaignUnique = try db.cachedStatement(
            sql: """
                SELECT COUNT(DISTINCT v.visitor) FROM visits v JOIN links l ON l.id = v.link_id
                WHERE l.campaign_id = ? AND v.kind = 'human'
                """
        )
        let linksBefore = try perLink.keys.map { ($0, try Int.fetchOne(linkUnique, arguments: [$0]) ?? 0) }
        let campaignsBefore = try campaigns.map { ($0, try Int.fetchOne(campaignUnique, arguments: [$0]) ?? 0) }
        let delete = try db.cachedStatement(sql: "DELETE FROM visits WHERE id = ?")
        for row in rows { try delete.execute(arguments: [row["id"] as Int64]) }
        let addToLink = try db.cachedStatement(
            sql: """
                INSERT INTO purged_visits_by_link (link_id, human, bot, unique_humans) VALUES (?, ?, ?, ?)
                ON CONFLICT (link_id) DO UPDATE SET human = human + excluded.human, bot = bot + excluded.bot,
                    unique_humans = unique_humans + excluded.unique_humans
                """
        )
        for (link, before) in linksBefore {
            let after = try Int.fetchOne(linkUnique, arguments: [link]) ?? 0
            let counts = perLink[link] ?? (0, 0)
            try addToLink.execute(arguments: [link, counts.human, counts.bot, before - after])
        }
        let addToCampaign = try db.cachedStatement(
            sql: """
                INSERT INTO purged_visits_by_campaign (campaign_id, unique_humans) VALUES (?, ?)
                ON CONFLICT (campaign_id) DO UPDATE SET unique_humans = unique_humans + excluded.unique_humans
                """
        )
        for (campaign, before) in campaignsBefore {
            let after = try Int.fetchOne(campaignUnique, arguments: [campaign]) ?? 0
            try addToCampaign.execute(arguments: [campaign, before - after])
        }
        return rows.count
    }
}
