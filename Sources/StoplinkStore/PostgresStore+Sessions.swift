import Foundation
import PostgresNIO
import StoplinkCore

/// `SessionStore` on PostgreSQL.
extension PostgresStore {
    public func createSession(idHash: String, userID: String, at: Date) async throws -> StoredSession? {
        throw PostgresStore.unimplemented(#function)
    }

    public func useSession(idHash: String, at now: Date, idleLimit: TimeInterval, absoluteLimit: TimeInterval) async throws -> (session: StoredSession, user: User)? {
        throw PostgresStore.unimplemented(#function)
    }

    public func deleteSession(idHash: String) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func recordLoginFailure(email: String, address: String, at: Date) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func loginFailures(email: String, address: String, since: Date) async throws -> (email: Int, address: Int) {
        throw PostgresStore.unimplemented(#function)
    }

}

