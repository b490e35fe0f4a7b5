import Foundation
import PostgresNIO
import StoplinkCore

/// `UserStore` on PostgreSQL. Emails are stored lowercased and compared through the unique
/// index on `lower(email)`, so two adds of one email in different case cannot both succeed.
extension PostgresStore {
    public func createUser(companyID: String, email: String, role: UserRole, passwordHash: String, at: Date) async throws -> User {
        let user = User(
            id: Identifiers.userID(), companyID: companyID, email: email.lowercased(), role: role, passwordHash: passwordHash,
            createdAt: at, passwordChangedAt: at
        )
        return try await write { connection in
            guard try await connection.scalar("SELECT 1 FROM companies WHERE id = \(companyID)", as: Int32.self, logger: logger) != nil else {
                throw StoreError.companyNotFound(companyID)
            }
            // The unique index decides: a parallel add of the same email waits for the other's
            // commit and then inserts nothing.
            let inserted = try await connection.count(
                """
                INSERT INTO users (id, company_id, email, role, password_hash, created_at, password_changed_at)
                VALUES (\(user.id), \(companyID), \(user.email), \(role.rawValue), \(passwordHash), \(Millis.from(at)), \(Millis.from(at)))
                ON CONFLICT ((lower(email))) DO NOTHING RETURNING 1
                """,
                logger: logger
            )
            guard inserted == 1 else { throw StoreError.userExists(user.email) }
            return user
        }
    }

    public func user(email: String) async throws -> User? {
        try await read { connection in
            try await connection.first(
                "SELECT * FROM users WHERE lower(email) = lower(\(email.lowercased()))", logger: logger, Self.user
            )
        }
    }

    public func user(id: String) async throws -> User? {
        try await read { connection in
            try await connection.first("SELECT * FROM users WHERE id = \(id)", logger: logger, Self.user)
        }
    }

    public func users(companyID: String) async throws -> [User] {
        try await read { connection in
            try await connection.all(
                "SELECT * FROM users WHERE company_id = \(companyID) ORDER BY created_at, id", logger: logger, Self.user
            )
        }
    }

    public func removeUser(companyID: String, email: String, keepingAnOwner: Bool) async throws -> User? {
        try await write { connection in
            let owners = try await keepingAnOwner ? Self.lockOwners(companyID: companyID, connection, logger: logger) : []
            guard let user = try await Self.lockUser(companyID: companyID, email: email, connection, logger: logger) else {
                return nil
            }
            if keepingAnOwner { try Self.refuseLastOwner(user, lockedOwners: owners) }
            // Sessions go with their user (ON DELETE CASCADE).
            try await connection.execute("DELETE FROM users WHERE id = \(user.id)", logger: logger)
            return user
        }
    }

    public func setPasswordHash(companyID: String, email: String, passwordHash: String, at: Date) async throws -> User? {
        try await write { connection in
            let user = try await connection.first(
                """
                UPDATE users SET password_hash = \(passwordHash), password_changed_at = \(Millis.from(at))
                WHERE company_id = \(companyID) AND lower(email) = lower(\(email.lowercased())) RETURNING *
                """,
                logger: logger, Self.user
            )
            guard let user else { return nil }
            try await connection.execute("DELETE FROM sessions WHERE user_id = \(user.id)", logger: logger)
            return user
        }
    }

    public func setRole(companyID: String, email: String, role: UserRole) async throws -> User? {
        try await write { connection in
            let owners = try await role != .owner ? Self.lockOwners(companyID: companyID, connection, logger: logger) : []
            guard var user = try await Self.lockUser(companyID: companyID, email: email, connection, logger: logger) else {
                return nil
            }
            if role != .owner { try Self.refuseLastOwner(user, lockedOwners: owners) }
            try await connection.execute("UPDATE users SET role = \(role.rawValue) WHERE id = \(user.id)", logger: logger)
            user.role = role
            return user
        }
    }

    /// Locks the company's owners, in id order so that two changers never wait on each other
    /// crosswise, and answers their ids. A parallel demotion or removal waits here until this
    /// transaction ends, then sees the owners that are left: no two can both count the other.
    private static func lockOwners(companyID: String, _ connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        Set(try await connection.all(
            "SELECT id FROM users WHERE company_id = \(companyID) AND role = 'owner' ORDER BY id FOR NO KEY UPDATE",
            logger: logger
        ) { row in try row.value("id", as: String.self) })
    }

    /// A company's user by email, locked until the transaction ends; read after the owners'
    /// lock, so a role it was given meanwhile is seen.
    private static func lockUser(companyID: String, email: String, _ connection: PostgresConnection, logger: Logger) async throws -> User? {
        try await connection.first(
            "SELECT * FROM users WHERE company_id = \(companyID) AND lower(email) = lower(\(email.lowercased())) FOR NO KEY UPDATE",
            logger: logger, user
        )
    }

    /// Throws `StoreError.lastOwner` unless another owner stays: only owners this transaction
    /// holds locked count, since only they cannot be demoted or removed before it commits.
    private static func refuseLastOwner(_ user: User, lockedOwners: Set<String>) throws {
        guard user.role == .owner else { return }
        if lockedOwners.subtracting([user.id]).isEmpty { throw StoreError.lastOwner(user.email) }
    }

    static func user(_ row: PostgresRandomAccessRow) throws -> User {
        User(
            id: try row.value("id"), companyID: try row.value("company_id"), email: try row.value("email"),
            role: try decode(UserRole.self, try row.value("role"), column: "users.role"), passwordHash: try row.value("password_hash"),
            createdAt: try row.date("created_at"), passwordChangedAt: try row.date("password_changed_at")
        )
    }
}
