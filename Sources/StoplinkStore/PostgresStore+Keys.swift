import Foundation
import PostgresNIO
import StoplinkCore

/// `KeyStore` on PostgreSQL.
extension PostgresStore {
    public func createKey(companyID: String, name: String, at: Date) async throws -> (key: String, stored: StoredAPIKey) {
        throw PostgresStore.unimplemented(#function)
    }

    public func key(prefix: String) async throws -> StoredAPIKey? {
        throw PostgresStore.unimplemented(#function)
    }

    public func keys(companyID: String) async throws -> [StoredAPIKey] {
        throw PostgresStore.unimplemented(#function)
    }

    public func revokeKey(prefix: String, companyID: String?, at: Date) async throws -> StoredAPIKey? {
        throw PostgresStore.unimplemented(#function)
    }

    public func touchKey(prefix: String, at: Date) async throws {
        throw PostgresStore.unimplemented(#function)
    }

}

