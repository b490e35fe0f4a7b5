import Foundation
import PostgresNIO
import StoplinkCore

/// `FeedStore` on PostgreSQL.
extension PostgresStore {
    public func feedHead(companyID: String) async throws -> Int64 {
        throw PostgresStore.unimplemented(#function)
    }

    public func events(companyID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ConsentEvent] {
        throw PostgresStore.unimplemented(#function)
    }

    public func feedPosition(companyID: String, legacySeq: Int64) async throws -> Int64 {
        throw PostgresStore.unimplemented(#function)
    }

    public func suppressions(companyID: String, afterPhone: String?, limit: Int) async throws -> [Suppression] {
        throw PostgresStore.unimplemented(#function)
    }

}

