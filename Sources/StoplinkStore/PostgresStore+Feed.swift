import Foundation
import PostgresNIO
import StoplinkCore

/// `FeedStore` on PostgreSQL: each company's feed numbers are taken under its row's lock in the
/// event's own transaction (`lockFeed`, `takeFeedNumbers`), so they become visible in commit
/// order, and `companies.feed_head` is the newest number whose event has committed.
extension PostgresStore {
    public func feedHead(companyID: String) async throws -> Int64 {
        try await read { connection in
            try await connection.scalar("SELECT feed_head FROM companies WHERE id = \(companyID)", as: Int64.self, logger: logger) ?? 0
        }
    }

    /// Rows are decoded as the server sends them (PostgresNIO asks for more only as they are
    /// read), so a large page holds its events and no copy of the raw rows besides.
    public func events(companyID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ConsentEvent] {
        guard limit > 0, after < upTo else { return [] }
        return try await read { connection in
            try await Self.events(
                connection,
                """
                SELECT \(unescaped: Self.eventColumns) \(unescaped: Self.eventSource)
                WHERE e.company_id = \(companyID) AND e.company_seq > \(after) AND e.company_seq <= \(upTo)
                ORDER BY e.company_seq LIMIT \(Int64(limit))
                """,
                logger: logger
            )
        }
    }

    public func feedPosition(companyID: String, legacySeq: Int64) async throws -> Int64 {
        try await read { connection in
            try await connection.scalar(
                "SELECT COALESCE(MAX(company_seq), 0) FROM consent_events WHERE company_id = \(companyID) AND seq <= \(legacySeq)",
                as: Int64.self, logger: logger
            ) ?? 0
        }
    }

    public func suppressions(companyID: String, afterPhone: String?, limit: Int) async throws -> [Suppression] {
        try await read { connection in
            try await connection.all(
                """
                SELECT s.*, c.ref AS campaign_ref FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id
                WHERE s.company_id = \(companyID) AND s.phone > \(afterPhone ?? "") ORDER BY s.phone LIMIT \(Int64(max(0, limit)))
                """,
                logger: logger, Self.suppression
            )
        }
    }
}
