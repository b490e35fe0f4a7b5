import Foundation
import PostgresNIO
import StoplinkCore

/// `LockoutStore` on PostgreSQL. Every step locks the link's row first, so wrong numbers and
/// opt-outs through one link run one after another across connections: each wrong number
/// counts the ones committed before it, and an opt-out checks a count that no parallel wrong
/// number can change before it commits.
extension PostgresStore {
    public func recordFailedAttempt(linkID: Int64, at: Date, countingSince since: Date) async throws -> Int {
        try await write { connection in
            try await Self.lockLink(connection, linkID: linkID, logger: logger)
            try await connection.execute("INSERT INTO failed_attempts (link_id, at) VALUES (\(linkID), \(Millis.from(at)))", logger: logger)
            return try await Self.failedAttempts(connection, linkID: linkID, since: since, logger: logger)
        }
    }

    public func failedAttempts(linkID: Int64, since: Date) async throws -> Int {
        try await read { connection in try await Self.failedAttempts(connection, linkID: linkID, since: since, logger: logger) }
    }

    public func recordLinkOptOut(_ request: OptOutRequest, linkID: Int64, wrongNumbersSince since: Date, limit: Int) async throws -> OptOutOutcome? {
        try await write { connection in
            try await Self.lockLink(connection, linkID: linkID, logger: logger)
            guard try await Self.failedAttempts(connection, linkID: linkID, since: since, logger: logger) < limit else { return nil }
            return try await Self.recordOptOut(connection, request, logger: logger)
        }
    }

    /// Locks the link's row until the transaction ends (`NO KEY UPDATE`: visits are still
    /// recorded meanwhile). A link that does not exist locks nothing; its insert then fails.
    static func lockLink(_ connection: PostgresConnection, linkID: Int64, logger: Logger) async throws {
        try await connection.execute("SELECT 1 FROM links WHERE id = \(linkID) FOR NO KEY UPDATE", logger: logger)
    }

    static func failedAttempts(_ connection: PostgresConnection, linkID: Int64, since: Date, logger: Logger) async throws -> Int {
        Int(try await connection.scalar(
            "SELECT COUNT(*) FROM failed_attempts WHERE link_id = \(linkID) AND at > \(Millis.from(since))", as: Int64.self, logger: logger
        ) ?? 0)
    }

    public func landing(code: String, wrongNumbersSince since: Date) async throws -> Landing? {
        try await read { connection in
            guard let link = try await Self.link(connection, code: code, logger: logger),
                  let company = try await Self.company(connection, id: link.companyID, logger: logger) else { return nil }
            return Landing(
                link: link, company: company,
                suppression: try await Self.suppression(connection, companyID: company.id, phone: link.phone, logger: logger),
                wrongNumbers: try await Self.failedAttempts(connection, linkID: link.id, since: since, logger: logger)
            )
        }
    }
}
