import Foundation
import GRDB
import StoplinkCore

/// `VisitStore` on SQLite.
extension SQLiteStore {
    public func recordVisits(_ visits: [Visit]) async throws {
        guard !visits.isEmpty else { return }
        try await backgroundWrite { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO visits (link_id, kind, visitor, at) VALUES (?, ?, ?, ?)")
            for visit in visits {
                try insert.execute(arguments: [visit.linkID, visit.kind.rawValue, visit.visitor, Millis.from(visit.at)])
            }
        }
    }

    public func visitCounts(linkID: Int64) async throws -> VisitCounts {
        try await writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    WITH live AS (
                        SELECT COUNT(*) FILTER (WHERE kind = 'human') AS human,
                               COUNT(*) FILTER (WHERE kind = 'bot') AS bot,
                               COUNT(DISTINCT visitor) FILTER (WHERE kind = 'human') AS unique_humans
                        FROM visits WHERE link_id = ?
                    )
                    SELECT live.human + COALESCE(p.human, 0) AS human, live.bot + COALESCE(p.bot, 0) AS bot,
                           live.unique_humans + COALESCE(p.unique_humans, 0) AS unique_humans
                    FROM live LEFT JOIN purged_visits_by_link p ON p.link_id = ?
                    """,
                arguments: [linkID, linkID]
            )
            return VisitCounts(human: row?["human"] ?? 0, bot: row?["bot"] ?? 0, uniqueHumans: row?["unique_humans"] ?? 0)
        }
    }
}
