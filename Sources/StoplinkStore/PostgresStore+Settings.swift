import Foundation
import PostgresNIO
import StoplinkCore

/// `SettingStore` on PostgreSQL.
extension PostgresStore {
    public func setting(_ key: String, orInsert makeValue: @Sendable () -> String) async throws -> String {
        try await write { connection in
            if let value = try await Self.setting(key, connection, logger: logger) { return value }
            // Of callers racing on a missing key one inserts; the others wait for its commit, insert
            // nothing, and read its value in a statement of their own (a snapshot that sees it).
            let inserted = try await connection.scalar(
                "INSERT INTO settings (key, value) VALUES (\(key), \(makeValue())) ON CONFLICT (key) DO NOTHING RETURNING value",
                as: String.self, logger: logger
            )
            if let inserted { return inserted }
            guard let value = try await Self.setting(key, connection, logger: logger) else {
                // Settings are never deleted, so a row that refused the insert is still there.
                throw StoreError.unknownStoredValue(column: "settings.key", value: key)
            }
            return value
        }
    }

    public func replaceSetting(_ key: String, with value: String) async throws {
        try await write { connection in
            try await connection.execute(
                "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                logger: logger
            )
        }
    }

    private static func setting(_ key: String, _ connection: PostgresConnection, logger: Logger) async throws -> String? {
        try await connection.scalar("SELECT value FROM settings WHERE key = \(key)", as: String.self, logger: logger)
    }
}
