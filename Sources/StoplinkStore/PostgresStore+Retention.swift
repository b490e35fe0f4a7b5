import Foundation
import PostgresNIO
import StoplinkCore

/// `RetentionStore` on PostgreSQL.
extension PostgresStore {
    public func purgeExpired(at now: Date, batchSize: Int) async throws -> PurgeCounts {
        throw PostgresStore.unimplemented(#function)
    }

}

