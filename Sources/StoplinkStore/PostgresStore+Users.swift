import Foundation
import PostgresNIO
import StoplinkCore

/// `UserStore` on PostgreSQL.
extension PostgresStore {
    public func createUser(companyID: String, email: String, role: UserRole, passwordHash: String, at: Date) async throws -> User {
        throw PostgresStore.unimplemented(#function)
    }

    public func user(email: String) async throws -> User? {
        throw PostgresStore.unimplemented(#function)
    }

    public func user(id: String) async throws -> User? {
        throw PostgresStore.unimplemented(#function)
    }

    public func users(companyID: String) async throws -> [User] {
        throw PostgresStore.unimplemented(#function)
    }

    public func removeUser(companyID: String, email: String, keepingAnOwner: Bool) async throws -> User? {
        throw PostgresStore.unimplemented(#function)
    }

    public func setRole(companyID: String, email: String, role: UserRole) async throws -> User? {
        throw PostgresStore.unimplemented(#function)
    }

    public func setPasswordHash(companyID: String, email: String, passwordHash: String, at: Date) async throws -> User? {
        throw PostgresStore.unimplemented(#function)
    }

}

