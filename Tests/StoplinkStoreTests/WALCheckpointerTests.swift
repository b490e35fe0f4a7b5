import Foundation
import GRDB
import ServiceLifecycle
import StoplinkCore
import Testing
@testable import StoplinkStore

@Suite("SQLite: the log is copied back beside the writer, not inside its commits")
struct WALCheckpointerTests {
    static let rows = 1_000

    /// Many rows of about one page each, each in a commit of its own: over 2,000 frames of log.
    static func fill(_ store: SQLiteStore) async throws {
        let padding = String(repeating: "x", count: 3_000)
        for index in 0..<rows {
            try await store.write { db in
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?)", arguments: ["filler-\(index)", padding])
            }
        }
    }

    /// A store on a fresh file in a fresh folder, both removed afterwards.
    static func withFileStore(_ body: (SQLiteStore, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore.open(path: directory.databasePath)
        defer { try? store.close() }
        try await body(store, directory)
    }

    static func size(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    @Test("the store's connections leave the log alone: no commit checkpoints, however long the log grows")
    func writerDoesNotCheckpoint() async throws {
        try await Self.withFileStore { store, directory in
            try await Self.fill(store)

            // SQLite's automatic checkpoint would have copied the log back at 1,000 pages and
            // started it again from the top; it kept growing instead, and the file holds none of it.
            #expect(try Self.size(directory.databasePath + "-wal") > 1_500 * 4_096)
            #expect(try Self.size(directory.databasePath) < Self.rows * 3_000)
            #expect(try await store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 0)
        }
    }

    @Test("the checkpointer service copies every committed frame into the file, and stops on shutdown")
    func serviceCheckpoints() async throws {
        try await Self.withFileStore { store, directory in
            try await Self.fill(store)
            let checkpointer = try #require(store.checkpointer)
            let service = WALCheckpointer(path: directory.databasePath, interval: .milliseconds(20), logger: checkpointer.logger)
            let group = ServiceGroup(services: [service], logger: checkpointer.logger)
            let before = try Self.size(directory.databasePath)

            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // Nothing else copies the log (no connection checkpoints, none closes): the file
                // grows only when the service copies the rows into it.
                for _ in 0..<500 where try Self.size(directory.databasePath) < Self.rows * 3_000 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }

            #expect(before < Self.rows * 3_000)
            #expect(try Self.size(directory.databasePath) >= Self.rows * 3_000)
            #expect(try await store.setting("filler-x", orInsert: { "still writable" }) == "still writable")
            #expect(try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM settings WHERE key LIKE 'filler-%'") } == Self.rows + 1)
        }
    }
}
