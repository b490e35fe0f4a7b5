import Foundation
import PostgresNIO
import StoplinkCore

/// `ImportStore` on PostgreSQL.
extension PostgresStore {
    public func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope, actor: ConsentActor?) async throws -> ImportCounts {
        throw PostgresStore.unimplemented(#function)
    }

}

