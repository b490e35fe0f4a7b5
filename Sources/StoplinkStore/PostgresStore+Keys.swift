import Foundation
import PostgresNIO
import StoplinkCore

/// `KeyStore` on PostgreSQL.
extension PostgresStore {
    public func createKey(companyID: String, name: String, at: Date) async throws -> (key: String, stored: StoredAPIKey) {
        try await write { connection in
            guard try await connection.scalar("SELECT 1 FROM companies WHERE id = \(companyID)", as: Int32.self, logger: logger) != nil else {
                throw StoreError.companyNotFound(companyID)
            }
            // A prefix collision (40 bits) is astronomically rare; draw again if it happens. The
            // primary key decides, also against a key created at the same moment elsewhere.
            while true {
                let key = APIKey.generate()
                guard let prefix = APIKey.prefix(of: key) else { continue }
                let stored = StoredAPIKey(prefix: prefix, companyID: companyID, hash: APIKey.hash(key), name: name, createdAt: at)
                let inserted = try await connection.count(
                    """
                    INSERT INTO api_keys (prefix, company_id, hash, name, created_at)
                    VALUES (\(stored.prefix), \(companyID), \(stored.hash), \(name), \(Millis.from(at)))
                    ON CONFLICT (prefix) DO NOTHING RETURNING 1
                    """,
                    logger: logger
                )
                if inserted == 1 { return (key, stored) }
            }
        }
    }

    public func key(prefix: String) async throws -> StoredAPIKey? {
        try await read { connection in
            try await connection.first("SELECT * FROM api_keys WHERE prefix = \(prefix)", logger: logger, Self.apiKey)
        }
    }

    public func keys(companyID: String) async throws -> [StoredAPIKey] {
        try await read { connection in
            try await connection.all(
                "SELECT * FROM api_keys WHERE company_id = \(companyID) ORDER BY created_at, prefix", logger: logger, Self.apiKey
            )
        }
    }

    public func revokeKey(prefix: String, companyID: String?, at: Date) async throws -> StoredAPIKey? {
        // One statement: of two revocations at once, the second waits for the first and keeps its time.
        try await write { connection in
            try await connection.first(
                """
                UPDATE api_keys SET revoked_at = COALESCE(revoked_at, \(Millis.from(at)))
                WHERE prefix = \(prefix) AND (\(companyID)::text IS NULL OR company_id = \(companyID)) RETURNING *
                """,
                logger: logger, Self.apiKey
            )
        }
    }

    public func touchKey(prefix: String, at: Date) async throws {
        try await write { connection in
            try await connection.execute("UPDATE api_keys SET last_used_at = \(Millis.from(at)) WHERE prefix = \(prefix)", logger: logger)
        }
    }

    static func apiKey(_ row: PostgresRandomAccessRow) throws -> StoredAPIKey {
        StoredAPIKey(
            prefix: try row.value("prefix"), companyID: try row.value("company_id"), hash: try row.value("hash"),
            name: try row.value("name"), createdAt: try row.date("created_at"), lastUsedAt: try row.optionalDate("last_used_at"),
            revokedAt: try row.optionalDate("revoked_at")
        )
    }
}
