import Foundation
import PostgresNIO
import StoplinkCore

/// `SessionStore` on PostgreSQL: sessions and failed logins are rows, so every process sees the
/// same ones.
extension PostgresStore {
    public func createSession(idHash: String, userID: String, at: Date) async throws -> StoredSession? {
        do {
            let inserted = try await write { connection in
                try await connection.count(
                    """
                    INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at)
                    SELECT \(idHash), id, \(Millis.from(at)), \(Millis.from(at)) FROM users WHERE id = \(userID) RETURNING 1
                    """,
                    logger: logger
                )
            }
            return inserted == 1 ? StoredSession(idHash: idHash, userID: userID, createdAt: at, lastSeenAt: at) : nil
        } catch let error where Self.sqlState(error) == "23503" {
            // The user was removed between the select and the foreign key's check.
            return nil
        }
    }

    public func useSession(idHash: String, at now: Date, idleLimit: TimeInterval, absoluteLimit: TimeInterval) async throws
        -> (session: StoredSession, user: User)?
    {
        try await write { connection in
            let found = try await connection.first(
                "SELECT * FROM sessions WHERE id_hash = \(idHash) FOR UPDATE", logger: logger
            ) { row in
                StoredSession(
                    idHash: try row.value("id_hash"), userID: try row.value("user_id"), createdAt: try row.date("created_at"),
                    lastSeenAt: try row.date("last_seen_at")
                )
            }
            guard var session = found else { return nil }
            let user = try await connection.first("SELECT * FROM users WHERE id = \(session.userID)", logger: logger, Self.user)
            let expired = now.timeIntervalSince(session.lastSeenAt) > idleLimit || now.timeIntervalSince(session.createdAt) > absoluteLimit
            guard let user, !expired, user.passwordChangedAt <= session.createdAt else {
                try await connection.execute("DELETE FROM sessions WHERE id_hash = \(idHash)", logger: logger)
                return nil
            }
            try await connection.execute(
                "UPDATE sessions SET last_seen_at = \(Millis.from(now)) WHERE id_hash = \(idHash)", logger: logger
            )
            session.lastSeenAt = now
            return (session, user)
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await write { connection in
            try await connection.execute("DELETE FROM sessions WHERE id_hash = \(idHash)", logger: logger)
        }
    }

    public func recordLoginFailure(email: String, address: String, at: Date) async throws {
        try await write { connection in
            try await connection.execute(
                "INSERT INTO login_failures (email, address, at) VALUES (\(email.lowercased()), \(address), \(Millis.from(at)))",
                logger: logger
            )
        }
    }

    public func loginFailures(email: String, address: String, since: Date) async throws -> (email: Int, address: Int) {
        // One statement, so both counts come from one snapshot.
        try await read { connection in
            let counts = try await connection.first(
                """
                SELECT (SELECT COUNT(*) FROM login_failures
                        WHERE lower(email) = lower(\(email.lowercased())) AND at > \(Millis.from(since))) AS by_email,
                       (SELECT COUNT(*) FROM login_failures WHERE address = \(address) AND at > \(Millis.from(since))) AS by_address
                """,
                logger: logger
            ) { row in (email: Int(try row.value("by_email", as: Int64.self)), address: Int(try row.value("by_address", as: Int64.self))) }
            return counts ?? (0, 0)
        }
    }
}
