import Foundation
import GRDB
import StoplinkCore

/// `SettingStore` on SQLite.
extension SQLiteStore {
    public func setting(_ key: String, orInsert makeValue: @Sendable () -> String) async throws -> String {
        try await write { db in
            if let value = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) {
                return value
            }
            let value = makeValue()
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?)", arguments: [key, value])
            return value
        }
    }

    public func replaceSetting(_ key: String, with value: String) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value]
            )
        }
    }
}
