import Foundation
import PostgresNIO
import StoplinkCore

/// `LockoutStore` on PostgreSQL.
extension PostgresStore {
    public func recordFailedAttempt(linkID: Int64, at: Date, countingSince since: Date) async throws -> Int {
        throw PostgresStore.unimplemented(#function)
    }

    public func failedAttempts(linkID: Int64, since: Date) async throws -> Int {
        throw PostgresStore.unimplemented(#function)
    }

    public func recordLinkOptOut(_ request: OptOutRequest, linkID: Int64, wrongNumbersSince since: Date, limit: Int) async throws -> OptOutOutcome? {
        throw PostgresStore.unimplemented(#function)
    }

}

