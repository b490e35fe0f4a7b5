import Foundation
import PostgresNIO
import StoplinkCore

/// `RetentionStore` on PostgreSQL. Every process runs the daily purge, so two purges may meet:
/// each batch of a company's visits is taken under a transaction-scoped advisory lock of that
/// company, and each text-clearing batch re-checks its rows as it changes them, so nothing is
/// counted twice.
extension PostgresStore {
    public func purgeExpired(at now: Date, batchSize: Int) async throws -> PurgeCounts {
        let companies = try await read { connection in
            try await connection.all(
                "SELECT id, retain_visits_days, retain_reasons_days, retain_inbound_days FROM companies ORDER BY id", logger: logger
            ) { row in
                (id: try row.value("id", as: String.self), periods: RetentionPeriods(
                    visitsDays: Int(try row.value("retain_visits_days", as: Int32.self)),
                    reasonsDays: Int(try row.value("retain_reasons_days", as: Int32.self)),
                    inboundDays: Int(try row.value("retain_inbound_days", as: Int32.self))
                ))
            }
        }
        let limit = Int64(batchSize)
        var counts = PurgeCounts()
        for company in companies {
            let cutoffs = company.periods.cutoffs(now: now)
            let (visits, reasons, inbound) = (Millis.from(cutoffs.visits), Millis.from(cutoffs.reasons), Millis.from(cutoffs.inbound))
            counts.visits += try await inBatches(of: batchSize) { connection in
                try await Self.purgeVisits(companyID: company.id, before: visits, limit: limit, connection, logger: logger)
            }
            counts.reasonTexts += try await clearLedger(.reasonText, companyID: company.id, before: reasons, batchSize: batchSize)
            counts.inboundTexts += try await clearLedger(.rawText, companyID: company.id, before: inbound, batchSize: batchSize)
            counts.inboundTexts += try await inBatches(of: batchSize) { connection in
                try await connection.count(
                    """
                    UPDATE inbound_messages SET text = '' WHERE id IN (
                        SELECT id FROM inbound_messages
                        WHERE company_id = \(company.id) AND text != '' AND received_at < \(inbound) AND status != 'review'
                        LIMIT \(limit))
                    AND text != '' AND status != 'review'
                    RETURNING 1
                    """,
                    logger: logger
                )
            }
        }
        return counts
    }

    /// The ledger's free-text columns a purge clears.
    private enum LedgerText: String {
        case reasonText = "reason_text"
        case rawText = "raw_text"
    }

    /// Clears `column` of a company's ledger rows before `before`; answers the rows cleared. The
    /// outer condition is checked again on each row as it is changed, so a row another purge
    /// cleared meanwhile is not counted twice.
    private func clearLedger(_ column: LedgerText, companyID: String, before: Int64, batchSize: Int) async throws -> Int {
        let name = column.rawValue
        return try await inBatches(of: batchSize) { connection in
            try await connection.count(
                """
                UPDATE consent_events SET \(unescaped: name) = NULL WHERE seq IN (
                    SELECT seq FROM consent_events
                    WHERE company_id = \(companyID) AND \(unescaped: name) IS NOT NULL AND occurred_at < \(before)
                    LIMIT \(Int64(batchSize)))
                AND \(unescaped: name) IS NOT NULL
                RETURNING 1
                """,
                logger: logger
            )
        }
    }

    /// Runs `batch` in its own transaction until it changes fewer than `size` rows; answers
    /// the rows changed in all.
    private func inBatches(of size: Int, _ batch: (PostgresConnection) async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            try Task.checkCancellation()
            let changed = try await write(batch)
            total += changed
            if changed < size { return total }
        }
    }

    /// Any fixed number, paired with a company's hash: the advisory lock of its visit purge.
    private static let visitPurgeLock: Int32 = 0x5669_7369

    /// Deletes up to `limit` of a company's visits before `before`, adding their counts to the
    /// purged totals; answers the visits deleted. A deleted visitor adds to a unique count when
    /// no visit of theirs is left (on the link; in the campaign), read after the delete: a visit
    /// written meanwhile either keeps them (not counted) or comes after (counted once more, as
    /// for anyone who comes back after a purge). The company's advisory lock keeps two purges
    /// from each counting on the other's rows still being there.
    private static func purgeVisits(
        companyID: String, before: Int64, limit: Int64, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Int {
        try await connection.execute("SELECT pg_advisory_xact_lock(\(visitPurgeLock), hashtext(\(companyID)))", logger: logger)
        let deleted = try await connection.all(
            """
            DELETE FROM visits v USING links l
            WHERE l.id = v.link_id AND v.id IN (
                SELECT due.id FROM visits due JOIN links due_link ON due_link.id = due.link_id
                WHERE due_link.company_id = \(companyID) AND due.at < \(before) LIMIT \(limit))
            RETURNING v.link_id, l.campaign_id, v.kind, v.visitor
            """,
            logger: logger
        ) { row in
            (link: try row.value("link_id", as: Int64.self), campaign: try row.value("campaign_id", as: Int64.self),
             kind: try row.value("kind", as: String.self), visitor: try row.value("visitor", as: String.self))
        }
        guard !deleted.isEmpty else { return 0 }
        let (links, campaigns) = (deleted.map(\.link), deleted.map(\.campaign))
        let (kinds, visitors) = (deleted.map(\.kind), deleted.map(\.visitor))
        try await connection.execute(
            """
            INSERT INTO purged_visits_by_link (link_id, human, bot, unique_humans)
            SELECT link_id, COUNT(*) FILTER (WHERE kind = 'human'), COUNT(*) FILTER (WHERE kind = 'bot'),
                   COUNT(DISTINCT visitor) FILTER (WHERE gone)
            FROM (
                SELECT d.link_id, d.kind, d.visitor, d.kind = 'human' AND NOT EXISTS (
                    SELECT 1 FROM visits r WHERE r.link_id = d.link_id AND r.kind = 'human' AND r.visitor = d.visitor) AS gone
                FROM unnest(\(links)::bigint[], \(kinds)::text[], \(visitors)::text[]) AS d (link_id, kind, visitor)
            ) AS batch
            GROUP BY link_id
            ON CONFLICT (link_id) DO UPDATE SET human = purged_visits_by_link.human + excluded.human,
                bot = purged_visits_by_link.bot + excluded.bot,
                unique_humans = purged_visits_by_link.unique_humans + excluded.unique_humans
            """,
            logger: logger
        )
        try await connection.execute(
            """
            INSERT INTO purged_visits_by_campaign (campaign_id, unique_humans)
            SELECT d.campaign_id, COUNT(DISTINCT d.visitor)
            FROM unnest(\(campaigns)::bigint[], \(kinds)::text[], \(visitors)::text[]) AS d (campaign_id, kind, visitor)
            WHERE d.kind = 'human' AND NOT EXISTS (
                SELECT 1 FROM visits r JOIN links l ON l.id = r.link_id
                WHERE l.campaign_id = d.campaign_id AND r.kind = 'human' AND r.visitor = d.visitor)
            GROUP BY d.campaign_id
            ON CONFLICT (campaign_id) DO UPDATE SET
                unique_humans = purged_visits_by_campaign.unique_humans + excluded.unique_humans
            """,
            logger: logger
        )
        return deleted.count
    }
}
