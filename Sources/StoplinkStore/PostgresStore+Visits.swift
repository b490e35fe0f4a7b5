import Foundation
import PostgresNIO
import StoplinkCore

/// `VisitStore` on PostgreSQL.
extension PostgresStore {
    public func recordVisits(_ visits: [Visit]) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func visitCounts(linkID: Int64) async throws -> VisitCounts {
        throw PostgresStore.unimplemented(#function)
    }

}

