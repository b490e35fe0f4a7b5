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
}
