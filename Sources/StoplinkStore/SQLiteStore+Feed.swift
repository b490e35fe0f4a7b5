import Foundation
import GRDB
import StoplinkCore

/// `FeedStore` on SQLite: one writer, so sequence numbers become visible in commit order.
extension SQLiteStore {
    public func feedHead(companyID: String) async throws -> Int64 {
        try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(company_seq) FROM consent_events WHERE company_id = ?", arguments: [companyID]) ?? 0
        }
    }

    public func events(companyID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ConsentEvent] {
        try await writer.read { db in
            try Self.events(
                db, where: "e.company_id = ? AND e.company_seq > ? AND e.company_seq <= ? ORDER BY e.company_seq LIMIT ?",
                [companyID, after, upTo, limit], ordered: false
            )
        }
    }

    public func feedPosition(companyID: String, legacySeq: Int64) async throws -> Int64 {
        try await writer.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT MAX(company_seq) FROM consent_events WHERE company_id = ? AND seq <= ?", arguments: [companyID, legacySeq]
            ) ?? 0
        }
    }

    public func suppressions(companyID: String, afterPhone: String?, limit: Int) async throws -> [Suppression] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, c.ref AS campaign_ref FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id
                    WHERE s.company_id = ? AND s.phone > ? ORDER BY s.phone LIMIT ?
                    """,
                arguments: [companyID, afterPhone ?? "", limit]
            ).map(Self.suppression)
        }
    }
}
