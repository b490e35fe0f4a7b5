import Foundation
import GRDB
import StoplinkCore

/// `UserStore` on SQLite.
extension SQLiteStore {
    public func createUser(companyID: String, email: String, role: UserRole, passwordHash: String, at: Date) async throws -> User {
        let user = User(
            id: Identifiers.userID(), companyID: companyID, email: email.lowercased(), role: role, passwordHash: passwordHash,
            createdAt: at, passwordChangedAt: at
        )
        return try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM companies WHERE id = ?", arguments: [companyID]) != nil else {
                throw StoreError.companyNotFound(companyID)
            }
            // The unique index decides, so two parallel adds of one email cannot both succeed.
            try db.execute(
                sql: """
                    INSERT INTO users (id, company_id, email, role, password_hash, created_at, password_changed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING
                    """,
                arguments: [user.id, companyID, user.email, role.rawValue, passwordHash, Millis.from(at), Millis.from(at)]
            )
            guard db.changesCount == 1 else { throw StoreError.userExists(user.email) }
            return user
        }
    }

    public func user(email: String) async throws -> User? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email.lowercased()]).map(Self.user)
        }
    }

    public func user(id: String) async throws -> User? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map(Self.user)
        }
    }

    public func users(companyID: String) async throws -> [User] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users WHERE company_id = ? ORDER BY created_at, id", arguments: [companyID])
                .map(Self.user)
        }
    }

    public func removeUser(companyID: String, email: String, keepingAnOwner: Bool) async throws -> User? {
        try await write { db in
            guard let user = try Self.user(companyID: companyID, email: email, in: db) else { return nil }
            if keepingAnOwner { try Self.refuseLastOwner(user, in: db) }
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [user.id])
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [user.id])
            return user
        }
    }

    public func setPasswordHash(companyID: String, email: String, passwordHash: String, at: Date) async throws -> User? {
        try await write { db in
            guard var user = try Self.user(companyID: companyID, email: email, in: db) else { return nil }
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                arguments: [passwordHash, Millis.from(at), user.id]
            )
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [user.id])
            user.passwordHash = passwordHash
            user.passwordChangedAt = at
            return user
        }
    }

    public func setRole(companyID: String, email: String, role: UserRole) async throws -> User? {
        try await write { db in
            guard var user = try Self.user(companyID: companyID, email: email, in: db) else { return nil }
            if role != .owner { try Self.refuseLastOwner(user, in: db) }
            try db.execute(sql: "UPDATE users SET role = ? WHERE id = ?", arguments: [role.rawValue, user.id])
            user.role = role
            return user
        }
    }

    /// Throws `StoreError.lastOwner` when `user` is their company's only owner; read inside the
    /// writing transaction, so no parallel change slips between the count and the write.
    private static func refuseLastOwner(_ user: User, in db: Database) throws {
        guard user.role == .owner else { return }
        let owners = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM users WHERE company_id = ? AND role = 'owner'", arguments: [user.companyID]
        ) ?? 0
        if owners <= 1 { throw StoreError.lastOwner(user.email) }
    }

    private static func user(companyID: String, email: String, in db: Database) throws -> User? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM users WHERE company_id = ? AND email = ?", arguments: [companyID, email.lowercased()]
        ).map(Self.user)
    }

    static func user(_ row: Row) throws -> User {
        User(
            id: row["id"], companyID: row["company_id"], email: row["email"],
            role: try decode(UserRole.self, row["role"], column: "users.role"), passwordHash: row["password_hash"],
            createdAt: Millis.date(row["created_at"]), passwordChangedAt: Millis.date(row["password_changed_at"])
        )
    }
}
