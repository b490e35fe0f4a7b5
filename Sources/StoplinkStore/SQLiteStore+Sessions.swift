import Foundation
import GRDB
import StoplinkCore

/// `SessionStore` and `AuditStore` on SQLite.
extension SQLiteStore {
    public func createSession(idHash: String, userID: String, at: Date) async throws -> StoredSession? {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE id = ?", arguments: [userID]) != nil else { return nil }
            try db.execute(
                sql: "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                arguments: [idHash, userID, Millis.from(at), Millis.from(at)]
            )
            return StoredSession(idHash: idHash, userID: userID, createdAt: at, lastSeenAt: at)
        }
    }

    public func useSession(idHash: String, at now: Date, idleLimit: TimeInterval, absoluteLimit: TimeInterval) async throws
        -> (session: StoredSession, user: User)?
    {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE id_hash = ?", arguments: [idHash]) else {
                return nil
            }
            var session = StoredSession(
                idHash: row["id_hash"], userID: row["user_id"], createdAt: Millis.date(row["created_at"]),
                lastSeenAt: Millis.date(row["last_seen_at"])
            )
            let user = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [session.userID]).map(Self.user)
            let expired = now.timeIntervalSince(session.lastSeenAt) > idleLimit || now.timeIntervalSince(session.createdAt) > absoluteLimit
            guard let user, !expired, user.passwordChangedAt <= session.createdAt else {
                try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [idHash])
                return nil
            }
            try db.execute(sql: "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", arguments: [Millis.from(now), idHash])
            session.lastSeenAt = now
            return (session, user)
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [idHash])
        }
    }

    public func recordLoginFailure(email: String, address: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO login_failures (email, address, at) VALUES (?, ?, ?)",
                arguments: [email.lowercased(), address, Millis.from(at)]
            )
        }
    }

    public func loginFailures(email: String, address: String, since: Date) async throws -> (email: Int, address: Int) {
        try await writer.read { db in
            let byEmail = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM login_failures WHERE email = ? AND at > ?", arguments: [email.lowercased(), Millis.from(since)]
            ) ?? 0
            let byAddress = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM login_failures WHERE address = ? AND at > ?", arguments: [address, Millis.from(since)]
            ) ?? 0
            return (byEmail, byAddress)
        }
    }

    public func recordAudit(_ entry: AuditEntry) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO audit_log (company_id, user_id, user_email, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [entry.companyID, entry.userID, entry.userEmail, entry.action, entry.detail, Millis.from(entry.at)]
            )
        }
    }

    public func auditLog(companyID: String, limit: Int) async throws -> [AuditEntry] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit_log WHERE company_id = ? ORDER BY id DESC LIMIT ?", arguments: [companyID, limit]
            ).map { row in
                AuditEntry(
                    companyID: row["company_id"], userID: row["user_id"], userEmail: row["user_email"], action: row["action"],
                    detail: row["detail"], at: Millis.date(row["at"])
                )
            }
        }
    }
}
