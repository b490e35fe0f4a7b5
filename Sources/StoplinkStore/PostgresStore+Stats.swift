import Foundation
import PostgresNIO
import StoplinkCore

/// `StatsStore` on PostgreSQL.
extension PostgresStore {
    public func stats(campaign: Campaign, reasonTextLimit: Int, reasonTextsBefore: Int64?) async throws -> CampaignStats {
        let id = campaign.id
        return try await snapshot { connection in
            let links = try await connection.scalar("SELECT COUNT(*) FROM links WHERE campaign_id = \(id)", as: Int64.self, logger: logger) ?? 0
            let visits = try await connection.first(
                """
                WITH live AS (
                    SELECT COUNT(*) FILTER (WHERE v.kind = 'human') AS human,
                           COUNT(*) FILTER (WHERE v.kind = 'bot') AS bot,
                           COUNT(DISTINCT v.visitor) FILTER (WHERE v.kind = 'human') AS unique_humans
                    FROM visits v JOIN links l ON l.id = v.link_id WHERE l.campaign_id = \(id)
                ), purged AS (
                    SELECT COALESCE(SUM(p.human), 0)::bigint AS human, COALESCE(SUM(p.bot), 0)::bigint AS bot
                    FROM purged_visits_by_link p JOIN links l ON l.id = p.link_id WHERE l.campaign_id = \(id)
                )
                SELECT live.human + purged.human AS human, live.bot + purged.bot AS bot,
                       live.unique_humans + COALESCE(
                           (SELECT unique_humans FROM purged_visits_by_campaign WHERE campaign_id = \(id)), 0
                       ) AS unique_humans
                FROM live, purged
                """,
                logger: logger, Self.visitCounts
            )
            var bySource: [String: Int] = [:]
            for (source, count) in try await connection.all(
                "SELECT source, COUNT(*) AS n FROM consent_events WHERE campaign_id = \(id) AND action = 'opt_out' GROUP BY source",
                logger: logger, Self.keyCount("source")
            ) {
                bySource[source] = count
            }
            let reasons = try await connection.all(
                """
                SELECT reason, COUNT(*) AS n FROM consent_events
                WHERE campaign_id = \(id) AND action = 'opt_out' AND reason IS NOT NULL
                GROUP BY reason ORDER BY n DESC, reason COLLATE "C"
                """,
                logger: logger, Self.keyCount("reason")
            ).map { (key: $0.0, count: $0.1) }
            let texts = try await connection.all(
                """
                SELECT company_seq, reason_text, occurred_at FROM consent_events
                WHERE campaign_id = \(id) AND action = 'opt_out' AND reason_text IS NOT NULL
                  AND company_seq < \(reasonTextsBefore ?? Int64.max)
                ORDER BY company_seq DESC LIMIT \(Int64(max(reasonTextLimit, 0)))
                """,
                logger: logger
            ) { row in
                CampaignStats.ReasonText(seq: try row.value("company_seq"), text: try row.value("reason_text"), occurredAt: try row.date("occurred_at"))
            }
            let perDay = try await connection.all(
                """
                SELECT \(unescaped: Self.utcDay) AS day, COUNT(*) AS n FROM consent_events
                WHERE campaign_id = \(id) AND action = 'opt_out' GROUP BY day ORDER BY day
                """,
                logger: logger, Self.keyCount("day")
            ).map { (date: $0.0, optOuts: $0.1) }
            return CampaignStats(
                links: Int(links), visits: visits ?? VisitCounts(human: 0, bot: 0, uniqueHumans: 0),
                optOutsBySource: bySource, reasons: reasons, reasonTexts: texts, perDay: perDay
            )
        }
    }

    public func optOutsBySource(companyID: String, since: Date) async throws -> [String: Int] {
        try await read { connection in
            var bySource: [String: Int] = [:]
            for (source, count) in try await connection.all(
                """
                SELECT source, COUNT(*) AS n FROM consent_events
                WHERE company_id = \(companyID) AND action = 'opt_out' AND occurred_at >= \(Millis.from(since)) GROUP BY source
                """,
                logger: logger, Self.keyCount("source")
            ) {
                bySource[source] = count
            }
            return bySource
        }
    }

    public func campaignSummaries(companyID: String, sort: CampaignSort, descending: Bool, limit: Int, offset: Int) async throws
        -> CampaignSummaryPage
    {
        let direction = descending ? "DESC" : "ASC"
        // From the enum only, never from input. Names compare as SQLite's NOCASE does: ASCII
        // letters folded, then byte by byte.
        let column = switch sort {
        case .created: "created_at"
        case .name: "lower(CASE WHEN name = '' THEN ref ELSE name END) COLLATE \"C\""
        case .links: "links"
        case .visits: "human_visits"
        case .optOuts: "opt_outs"
        case .rate: "rate"
        }
        return try await snapshot { connection in
            let total = try await connection.scalar(
                "SELECT COUNT(*) FROM campaigns WHERE company_id = \(companyID)", as: Int64.self, logger: logger
            ) ?? 0
            let summaries = try await connection.all(
                """
                WITH figures AS (
                    SELECT c.*,
                        (SELECT COUNT(*) FROM links l WHERE l.campaign_id = c.id) AS links,
                        (SELECT COUNT(*) FROM visits v JOIN links l ON l.id = v.link_id
                            WHERE l.campaign_id = c.id AND v.kind = 'human')
                        + (SELECT COALESCE(SUM(p.human), 0)::bigint FROM purged_visits_by_link p JOIN links l ON l.id = p.link_id
                            WHERE l.campaign_id = c.id) AS human_visits,
                        (SELECT COUNT(*) FROM consent_events e WHERE e.campaign_id = c.id AND e.action = 'opt_out') AS opt_outs
                    FROM campaigns c WHERE c.company_id = \(companyID)
                )
                SELECT *, CASE WHEN links = 0 THEN 0.0 ELSE opt_outs::float8 / links END AS rate FROM figures
                ORDER BY \(unescaped: column) \(unescaped: direction), id DESC
                LIMIT \(Int64(max(limit, 0))) OFFSET \(Int64(max(offset, 0)))
                """,
                logger: logger
            ) { row in
                CampaignSummary(
                    campaign: try Self.campaign(row), links: Int(try row.value("links", as: Int64.self)),
                    humanVisits: Int(try row.value("human_visits", as: Int64.self)), optOuts: Int(try row.value("opt_outs", as: Int64.self))
                )
            }
            return CampaignSummaryPage(total: Int(total), summaries: summaries)
        }
    }

    public func reasonEntries(campaignID: Int64, freeTextOnly: Bool, search: String?, after: ReasonEntry?, offset: Int, limit: Int) async throws
        -> [ReasonEntry]
    {
        let afterAt = after.map { Millis.from($0.occurredAt) }
        return try await read { connection in
            try await connection.all(
                """
                SELECT company_seq, reason, reason_text, occurred_at FROM consent_events
                WHERE \(unescaped: Self.reasonFilter(freeTextOnly: freeTextOnly)) AND campaign_id = \(campaignID)
                  AND (\(Self.likePattern(search))::text IS NULL OR lower(COALESCE(reason_text, '')) LIKE \(Self.likePattern(search))::text ESCAPE '\\')
                  AND (\(afterAt)::bigint IS NULL OR occurred_at < \(afterAt)::bigint
                       OR (occurred_at = \(afterAt)::bigint AND company_seq < \(after?.seq)::bigint))
                ORDER BY occurred_at DESC, company_seq DESC LIMIT \(Int64(max(limit, 0))) OFFSET \(Int64(max(offset, 0)))
                """,
                logger: logger
            ) { row in
                ReasonEntry(
                    seq: try row.value("company_seq"), reason: try row.value("reason"), text: try row.value("reason_text"),
                    occurredAt: try row.date("occurred_at")
                )
            }
        }
    }

    public func reasonEntryCount(campaignID: Int64, freeTextOnly: Bool, search: String?) async throws -> Int {
        try await read { connection in
            Int(try await connection.scalar(
                """
                SELECT COUNT(*) FROM consent_events
                WHERE \(unescaped: Self.reasonFilter(freeTextOnly: freeTextOnly)) AND campaign_id = \(campaignID)
                  AND (\(Self.likePattern(search))::text IS NULL OR lower(COALESCE(reason_text, '')) LIKE \(Self.likePattern(search))::text ESCAPE '\\')
                """,
                as: Int64.self, logger: logger
            ) ?? 0)
        }
    }

    /// The opt-outs `reasonEntries` and `reasonEntryCount` read (SQL from constants only).
    private static func reasonFilter(freeTextOnly: Bool) -> String {
        "action = 'opt_out' AND " + (freeTextOnly ? "reason_text IS NOT NULL" : "(reason IS NOT NULL OR reason_text IS NOT NULL)")
    }

    /// A LIKE pattern that finds `search` anywhere, lowercased, with `%`, `_` and `\` in it taken
    /// as plain characters; nil when there is nothing to search for.
    static func likePattern(_ search: String?) -> String? {
        guard let search, !search.isEmpty else { return nil }
        var escaped = ""
        for character in search.lowercased() {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    public func optOutDelays(campaignID: Int64, bounds: [TimeInterval]) async throws -> [Int] {
        let limits = bounds.map { Int64(($0 * 1000).rounded()) }
        return try await read { connection in
            let row = try await connection.first(
                """
                WITH delays AS (
                    SELECT e.occurred_at - COALESCE(l.created_at, c.created_at) AS delay
                    FROM consent_events e JOIN campaigns c ON c.id = e.campaign_id
                    LEFT JOIN links l ON l.campaign_id = e.campaign_id AND l.phone = e.phone
                    WHERE e.campaign_id = \(campaignID) AND e.action = 'opt_out'
                )
                SELECT (SELECT COUNT(*) FROM delays) AS total,
                       ARRAY(SELECT (SELECT COUNT(*) FROM delays WHERE delay < bound.below_ms)
                             FROM unnest(\(limits)::bigint[]) WITH ORDINALITY AS bound(below_ms, position)
                             ORDER BY bound.position) AS below
                """,
                logger: logger
            ) { row in (total: try row.value("total", as: Int64.self), below: try row.value("below", as: [Int64].self)) }
            guard let row else { return Array(repeating: 0, count: bounds.count + 1) }
            let cumulative = row.below.map(Int.init) + [Int(row.total)]
            return cumulative.enumerated().map { index, count in index == 0 ? count : count - cumulative[index - 1] }
        }
    }

    public func optOutsPerDay(companyID: String, since: Date) async throws -> [(date: String, optOuts: Int)] {
        try await read { connection in
            try await connection.all(
                """
                SELECT \(unescaped: Self.utcDay) AS day, COUNT(*) AS n FROM consent_events
                WHERE company_id = \(companyID) AND action = 'opt_out' AND occurred_at >= \(Millis.from(since))
                GROUP BY day ORDER BY day
                """,
                logger: logger, Self.keyCount("day")
            ).map { (date: $0.0, optOuts: $0.1) }
        }
    }

    /// An event's UTC day as `yyyy-MM-dd`, SQLite's `date(occurred_at / 1000, 'unixepoch')`.
    private static let utcDay = "to_char(to_timestamp(occurred_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

    /// A row of a text column `key` and its count `n`.
    private static func keyCount(_ key: String) -> (PostgresRandomAccessRow) throws -> (String, Int) {
        { row in (try row.value(key, as: String.self), Int(try row.value("n", as: Int64.self))) }
    }

    /// Runs `body` in a read-only transaction on one snapshot, so figures read by several
    /// statements agree with each other.
    private func snapshot<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await read { connection in
            try await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                _ = try? await connection.execute("ROLLBACK", logger: logger)
                throw error
            }
            try await connection.execute("COMMIT", logger: logger)
            return result
        }
    }
}
