import Foundation
import GRDB
import StoplinkCore

/// `KeyStore` on SQLite.
extension SQLiteStore {
    public func createKey(companyID: String, name: String, at: Date) async throws -> (key: String, stored: StoredAPIKey) {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM companies WHERE id = ?", arguments: [companyID]) != nil else {
                throw StoreError.companyNotFound(companyID)
            }
            // A prefix collision (40 bits) is astronomically rare; draw again if it happens.
            while true {
                let key = APIKey.generate()
                guard let prefix = APIKey.prefix(of: key) else { continue }
                let stored = StoredAPIKey(prefix: prefix, companyID: companyID, hash: APIKey.hash(key), name: name, createdAt: at)
                try db.execute(
                    sql: """
                        INSERT INTO api_keys (prefix, company_id, hash, name, created_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (prefix) DO NOTHING
                        """,
                    arguments: [stored.prefix, companyID, stored.hash, name, Millis.from(at)]
                )
                if db.changesCount == 1 { return (key, stored) }
            }
        }
    }

    public func key(prefix: String) async throws -> StoredAPIKey? {
        try await writer.read { db in
            // Every API request looks its key up: the statement is kept prepared.
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE prefix = ?"), arguments: [prefix]).map(Self.apiKey)
        }
    }

    public func keys(companyID: String) async throws -> [StoredAPIKey] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM api_keys WHERE company_id = ? ORDER BY created_at, prefix", arguments: [companyID]
            ).map(Self.apiKey)
        }
    }

    public func revokeKey(prefix: String, companyID: String?, at: Date) async throws -> StoredAPIKey? {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE prefix = ?", arguments: [prefix]) else {
                return nil
            }
            var key = try Self.apiKey(row)
            if let companyID, key.companyID != companyID { return nil }
            if key.revokedAt == nil {
                try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE prefix = ?", arguments: [Millis.from(at), prefix])
                key.revokedAt = at
            }
            return key
        }
    }

    public func touchKey(prefix: String, at: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET last_used_at = ? WHERE prefix = ?").execute(arguments: [Millis.from(at), prefix])
        }
    }

    static func apiKey(_ row: Row) throws -> StoredAPIKey {
        StoredAPIKey(
            prefix: row["prefix"], companyID: row["company_id"], hash: row["hash"], name: row["name"],
            createdAt: Millis.date(row["created_at"]), lastUsedAt: (row["last_used_at"] as Int64?).map(Millis.date),
            revokedAt: (row["revoked_at"] as Int64?).map(Millis.date)
        )
    }
}
