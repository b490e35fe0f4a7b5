import Foundation
import GRDB
import StoplinkCore

/// `LockoutStore` on SQLite.
extension SQLiteStore {
    public func recordLinkOptOut(
        _ request: OptOutRequest, linkID: Int64, wrongNumbersSince since: Date, limit: Int
    ) async throws -> OptOutOutcome? {
        try await group.write { db in
            guard try Self.failedAttempts(db, linkID: linkID, since: since) < limit else { return nil }
            return try Self.recordOptOut(db, request)
        }
    }

    public func recordFailedAttempt(linkID: Int64, at: Date, countingSince since: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "INSERT INTO failed_attempts (link_id, at) VALUES (?, ?)", arguments: [linkID, Millis.from(at)])
            return try Self.failedAttempts(db, linkID: linkID, since: since)
        }
    }

    public func failedAttempts(linkID: Int64, since: Date) async throws -> Int {
        try await writer.read { db in try Self.failedAttempts(db, linkID: linkID, since: since) }
    }

    static func failedAttempts(_ db: Database, linkID: Int64, since: Date) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) FROM failed_attempts WHERE link_id = ? AND at > ?"),
            arguments: [linkID, Millis.from(since)]
        ) ?? 0
    }

    public func landing(code: String, wrongNumbersSince since: Date) async throws -> Landing? {
        try await writer.read { [decoded] db in
            guard let link = try Self.link(db, code: code), let company = try Self.company(db, id: link.companyID, decoded: decoded) else {
                return nil
            }
            return Landing(
                link: link, company: company,
                suppression: try Self.suppression(db, companyID: company.id, phone: link.phone),
                wrongNumbers: try Self.failedAttempts(db, linkID: link.id, since: since)
            )
        }
    }
}
