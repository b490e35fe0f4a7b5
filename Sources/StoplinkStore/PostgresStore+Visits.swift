import Foundation
import PostgresNIO
import StoplinkCore

/// `VisitStore` on PostgreSQL.
extension PostgresStore {
    public func recordVisits(_ visits: [Visit]) async throws {
        guard !visits.isEmpty else { return }
        // One statement for the whole batch, its columns bound as arrays.
        let (links, kinds, visitors, times) = (visits.map(\.linkID), visits.map(\.kind.rawValue), visits.map(\.visitor), visits.map { Millis.from($0.at) })
        try await write { connection in
            try await connection.execute(
                """
                INSERT INTO visits (link_id, kind, visitor, at)
                SELECT * FROM unnest(\(links)::bigint[], \(kinds)::text[], \(visitors)::text[], \(times)::bigint[])
                """,
                logger: logger
            )
        }
    }

    public func visitCounts(linkID: Int64) async throws -> VisitCounts {
        try await read { connection in
            let counts = try await connection.first(
                """
                WITH live AS (
                    SELECT COUNT(*) FILTER (WHERE kind = 'human') AS human,
                           COUNT(*) FILTER (WHERE kind = 'bot') AS bot,
                           COUNT(DISTINCT visitor) FILTER (WHERE kind = 'human') AS unique_humans
                    FROM visits WHERE link_id = \(linkID)
                )
                SELECT live.human + COALESCE(p.human, 0) AS human, live.bot + COALESCE(p.bot, 0) AS bot,
                       live.unique_humans + COALESCE(p.unique_humans, 0) AS unique_humans
                FROM live LEFT JOIN purged_visits_by_link p ON p.link_id = \(linkID)
                """,
                logger: logger, Self.visitCounts
            )
            return counts ?? VisitCounts(human: 0, bot: 0, uniqueHumans: 0)
        }
    }

    /// A row of `human`, `bot` and `unique_humans` counts (`BIGINT`).
    static func visitCounts(_ row: PostgresRandomAccessRow) throws -> VisitCounts {
        VisitCounts(
            human: Int(try row.value("human", as: Int64.self)), bot: Int(try row.value("bot", as: Int64.self)),
            uniqueHumans: Int(try row.value("unique_humans", as: Int64.self))
        )
    }
}
