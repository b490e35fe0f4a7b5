import Foundation
import GRDB
import StoplinkCore

/// `StatsStore` on SQLite.
extension SQLiteStore {
    public func stats(campaign: Campaign, reasonTextLimit: Int, reasonTextsBefore: Int64?) async throws -> CampaignStats {
        try await writer.read { db in
            let id = campaign.id
            let links = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM links WHERE campaign_id = ?", arguments: [id]) ?? 0
            let visitRow = try Row.fetchOne(
                db,
                sql: """
                    WITH live AS (
                        SELECT COUNT(*) FILTER (WHERE v.kind = 'human') AS human,
                               COUNT(*) FILTER (WHERE v.kind = 'bot') AS bot,
                               COUNT(DISTINCT v.visitor) FILTER (WHERE v.kind = 'human') AS unique_humans
                        FROM visits v JOIN links l ON l.id = v.link_id WHERE l.campaign_id = ?
                    ), purged AS (
                        SELECT COALESCE(SUM(p.human), 0) AS human, COALESCE(SUM(p.bot), 0) AS bot
                        FROM purged_visits_by_link p JOIN links l ON l.id = p.link_id WHERE l.campaign_id = ?
                    )
                    SELECT live.human + purged.human AS human, live.bot + purged.bot AS bot,
                           live.unique_humans + COALESCE(
                               (SELECT unique_humans FROM purged_visits_by_campaign WHERE campaign_id = ?), 0
                           ) AS unique_humans
                    FROM live, purged
                    """,
                arguments: [id, id, id]
            )
            var bySource: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT source, COUNT(*) AS n FROM consent_events WHERE campaign_id = ? AND action = 'opt_out' GROUP BY source",
                arguments: [id]
            ) {
                bySource[row["source"]] = row["n"]
            }
            let reasons = try Row.fetchAll(
                db,
                sql: """
                    SELECT reason, COUNT(*) AS n FROM consent_events
                    WHERE campaign_id = ? AND action = 'opt_out' AND reason IS NOT NULL
                    GROUP BY reason ORDER BY n DESC, reason
                    """,
                arguments: [id]
            ).map { (key: $0["reason"] as String, count: $0["n"] as Int) }
            let texts = try Row.fetchAll(
                db,
                sql: """
                    SELECT company_seq, reason_text, occurred_at FROM consent_events
                    WHERE campaign_id = ? AND action = 'opt_out' AND reason_text IS NOT NULL AND company_seq < ?
                    ORDER BY company_seq DESC LIMIT ?
                    """,
                arguments: [id, reasonTextsBefore ?? Int64.max, reasonTextLimit]
            ).map { CampaignStats.ReasonText(seq: $0["company_seq"], text: $0["reason_text"], occurredAt: Millis.date($0["occurred_at"])) }
            let perDay = try Row.fetchAll(
                db,
                sql: """
                    SELECT date(occurred_at / 1000, 'unixepoch') AS day, COUNT(*) AS n FROM consent_events
                    WHERE campaign_id = ? AND action = 'opt_out' GROUP BY day ORDER BY day
                    """,
                arguments: [id]
            ).map { (date: $0["day"] as String, optOuts: $0["n"] as Int) }
            return CampaignStats(
                links: links,
                visits: VisitCounts(human: visitRow?["human"] ?? 0, bot: visitRow?["bot"] ?? 0, uniqueHumans: visitRow?["unique_humans"] ?? 0),
                optOutsBySource: bySource, reasons: reasons, reasonTexts: texts, perDay: perDay
            )
        }
    }

    public func optOutsBySource(companyID: String, since: Date) async throws -> [String: Int] {
        try await writer.read { db in
            var bySource: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT source, COUNT(*) AS n FROM consent_events
                    WHERE company_id = ? AND action = 'opt_out' AND occurred_at >= ? GROUP BY source
                    """,
                arguments: [companyID, Millis.from(since)]
            ) {
                bySource[row["source"]] = row["n"]
            }
            return bySource
        }
    }

    public func campaignSummaries(companyID: String, sort: CampaignSort, descending: Bool, limit: Int, offset: Int) async throws
        -> CampaignSummaryPage
    {
        let direction = descending ? "DESC" : "ASC"
        // From the enum only, never from input.
        let column = switch sort {
        case .created: "created_at"
        case .name: "(CASE WHEN name = '' THEN ref ELSE name END) COLLATE NOCASE"
        case .links: "links"
        case .visits: "human_visits"
        case .optOuts: "opt_outs"
        case .rate: "rate"
        }
        return try await writer.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM campaigns WHERE company_id = ?", arguments: [companyID]) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    WITH figures AS (
                        SELECT c.*,
                            (SELECT COUNT(*) FROM links l WHERE l.campaign_id = c.id) AS links,
                            (SELECT COUNT(*) FROM visits v JOIN links l ON l.id = v.link_id
                                WHERE l.campaign_id = c.id AND v.kind = 'human')
                            + (SELECT COALESCE(SUM(p.human), 0) FROM purged_visits_by_link p JOIN links l ON l.id = p.link_id
                                WHERE l.campaign_id = c.id) AS human_visits,
                            (SELECT COUNT(*) FROM consent_events e WHERE e.campaign_id = c.id AND e.action = 'opt_out') AS opt_outs
                        FROM campaigns c WHERE c.company_id = ?
                    )
                    SELECT *, CASE WHEN links = 0 THEN 0.0 ELSE CAST(opt_outs AS REAL) / links END AS rate FROM figures
                    ORDER BY \(column) \(direction), id DESC LIMIT ? OFFSET ?
                    """,
                arguments: [companyID, max(limit, 0), max(offset, 0)]
            )
            return CampaignSummaryPage(total: total, summaries: try rows.map { row in
                CampaignSummary(campaign: try Self.campaign(row), links: row["links"], humanVisits: row["human_visits"], optOuts: row["opt_outs"])
            })
        }
    }

    public func reasonEntries(campaignID: Int64, freeTextOnly: Bool, search: String?, after: ReasonEntry?, offset: Int, limit: Int) async throws
        -> [ReasonEntry]
    {
        var (filter, arguments) = Self.reasonFilter(campaignID: campaignID, freeTextOnly: freeTextOnly, search: search)
        if let after {
            let at = Millis.from(after.occurredAt)
            filter += " AND (occurred_at < ? OR (occurred_at = ? AND company_seq < ?))"
            arguments += [at, at, after.seq]
        }
        return try await writer.read { [filter, arguments] db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT company_seq, reason, reason_text, occurred_at FROM consent_events WHERE \(filter)
                    ORDER BY occurred_at DESC, company_seq DESC LIMIT ? OFFSET ?
                    """,
                arguments: arguments + [max(limit, 0), max(offset, 0)]
            ).map { row in
                ReasonEntry(seq: row["company_seq"], reason: row["reason"], text: row["reason_text"], occurredAt: Millis.date(row["occurred_at"]))
            }
        }
    }

    public func reasonEntryCount(campaignID: Int64, freeTextOnly: Bool, search: String?) async throws -> Int {
        let (filter, arguments) = Self.reasonFilter(campaignID: campaignID, freeTextOnly: freeTextOnly, search: search)
        return try await writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM consent_events WHERE \(filter)", arguments: arguments) ?? 0
        }
    }

    /// The WHERE clause `reasonEntries` and `reasonEntryCount` share; the search is a bound
    /// argument compared with `instr`, so `%` and `_` in it are plain characters.
    private static func reasonFilter(campaignID: Int64, freeTextOnly: Bool, search: String?) -> (String, StatementArguments) {
        var filter = "campaign_id = ? AND action = 'opt_out' AND "
        filter += freeTextOnly ? "reason_text IS NOT NULL" : "(reason IS NOT NULL OR reason_text IS NOT NULL)"
        var arguments: StatementArguments = [campaignID]
        if let search, !search.isEmpty {
            filter += " AND instr(lower(COALESCE(reason_text, '')), lower(?)) > 0"
            arguments += [search]
        }
        return (filter, arguments)
    }

    public func optOutDelays(campaignID: Int64, bounds: [TimeInterval]) async throws -> [Int] {
        let below = bounds.map { _ in "COALESCE(SUM(delay < ?), 0)" }
        return try await writer.read { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*)\(below.map { ", " + $0 }.joined()) FROM (
                        SELECT e.occurred_at - COALESCE(l.created_at, c.created_at) AS delay
                        FROM consent_events e JOIN campaigns c ON c.id = e.campaign_id
                        LEFT JOIN links l ON l.campaign_id = e.campaign_id AND l.phone = e.phone
                        WHERE e.campaign_id = ? AND e.action = 'opt_out'
                    )
                    """,
                arguments: StatementArguments(bounds.map { Int64(($0 * 1000).rounded()) }) + [campaignID]
            ) else { return Array(repeating: 0, count: bounds.count + 1) }
            let total: Int = row[0]
            let cumulative = (0..<bounds.count).map { row[$0 + 1] as Int } + [total]
            return cumulative.enumerated().map { index, count in index == 0 ? count : count - cumulative[index - 1] }
        }
    }

    public func optOutsPerDay(companyID: String, since: Date) async throws -> [(date: String, optOuts: Int)] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT date(occurred_at / 1000, 'unixepoch') AS day, COUNT(*) AS n FROM consent_events
                    WHERE company_id = ? AND action = 'opt_out' AND occurred_at >= ? GROUP BY day ORDER BY day
                    """,
                arguments: [companyID, Millis.from(since)]
            ).map { (date: $0["day"] as String, optOuts: $0["n"] as Int) }
        }
    }
}
