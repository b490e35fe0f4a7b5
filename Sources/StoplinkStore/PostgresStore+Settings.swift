import Foundation
import PostgresNIO
import StoplinkCore

/// `SettingStore` on PostgreSQL.
extension PostgresStore {
    public func setting(_ key: String, orInsert makeValue: @Sendable () -> String) async throws -> String {
        throw PostgresStore.unimplemented(#function)
    }

    public func replaceSetting(_ key: String, with value: String) async throws {
        throw PostgresStore.unimplemented(#function)
    }

}

