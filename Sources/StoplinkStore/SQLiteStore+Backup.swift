import Foundation
import GRDB

extension SQLiteStore: BackupStore {
    public func backup(to path: String) async throws {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: path) else { throw StoreError.backupExists(path) }
        // Written beside the target and renamed at the end, so a half-written copy never looks done.
        let partial = path + ".partial"
        try? fileManager.removeItem(atPath: partial)
        do {
            let destination = try DatabaseQueue(path: partial)
            // One read transaction is one snapshot; SQLite's backup copies it page by page.
            try await writer.read { source in
                try destination.writeWithoutTransaction { copy in try source.backup(to: copy) }
            }
            try await destination.writeWithoutTransaction { copy in
                // The copy stands alone: its WAL is folded in, and integrity is checked before it counts.
                try copy.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                let verdict = try String.fetchOne(copy, sql: "PRAGMA integrity_check")
                guard verdict == "ok" else { throw StoreError.backupDamaged(verdict ?? "no answer") }
            }
            try destination.close()
            for suffix in ["-wal", "-shm"] { try? fileManager.removeItem(atPath: partial + suffix) }
            try fileManager.moveItem(atPath: partial, toPath: path)
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: partial + suffix) }
            throw error
        }
    }
}
