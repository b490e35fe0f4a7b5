import Foundation
import GRDB
import ServiceLifecycle
import StoplinkCore

/// The embedded default: one SQLite file through GRDB.
public struct SQLiteStore: Store {
    let writer: any DatabaseWriter
    /// Opt-outs that arrive together share one transaction and one commit.
    let group: GroupCommit
    /// Companies decoded from their rows, reused while a row is unchanged.
    let decoded = DecodedCompanies()
    /// Copies the log back into the file (nil for an in-memory database).
    let checkpointer: WALCheckpointer?

    /// Runs the migrations on `writer` (SQLite is one process, so opening is migrating); tests
    /// may pass an in-memory queue. Refuses a database a newer build has migrated.
    public init(writer: any DatabaseWriter, checkpointer: WALCheckpointer? = nil) throws {
        self.writer = writer
        self.checkpointer = checkpointer
        self.group = GroupCommit(writer: writer)
        let migrator = SQLiteMigrations.migrator
        let unknown = try writer.read { db in
            try migrator.hasBeenSuperseded(db) ? try migrator.appliedIdentifiers(db).subtracting(migrator.migrations) : []
        }
        guard unknown.isEmpty else { throw StoreError.schemaIsNewer(unknownMigrations: unknown.sorted()) }
        try migrator.migrate(writer)
    }

    /// Opens (creating if needed) the database file at `path`: WAL with one writer and many
    /// readers, `synchronous=FULL` so an acknowledged opt-out survives a power loss.
    public static func open(path: String) throws -> SQLiteStore {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The log is copied back by `WALCheckpointer`, not inside a commit.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // Random codes and numbers touch random index pages: SQLite's default 2 MB cache
            // turns a bulk issue into disk reads. The writer gets 64 MB, each reader 16 MB.
            let cacheKiB = db.configuration.readonly ? 16 * 1024 : 64 * 1024
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try SQLiteStore(writer: pool, checkpointer: WALCheckpointer(path: pool.path))
    }

    /// One short write in its own transaction. Every write but the bulk ones goes through here
    /// (or through `group`), so that a bulk write knows when others wait for the writer.
    func write<Value: Sendable>(_ body: @Sendable (Database) throws -> Value) async throws -> Value {
        try await group.writeAlone(body)
    }

    /// A write of a background loop (claiming deliveries and emails, recording their attempts
    /// and the landing page's visits, purging): nobody waits for its answer, so a bulk write
    /// does not commit early to let it in. Counted like `write`, the dispatcher's claim every
    /// 200 ms split a 1,000,000-row import into hundreds of commits.
    func backgroundWrite<Value: Sendable>(_ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        try await writer.write(body)
    }

    /// A bulk write over `count` items in as few transactions as it can: `body` writes items
    /// from its start index on and answers what it did and where it stopped. It stops early, at
    /// a multiple of `yieldingWriteStep` items, when `mustYield()` says other writes (grouped
    /// opt-outs, or any `write`) wait for the writer; they then go first and the rest follows in a new transaction.
    /// A failure leaves the transactions committed before it in place (bulk callers are
    /// idempotent: issuing again gives the same codes, importing again adds nothing twice).
    func yieldingWrite<Part: Sendable>(
        count: Int, _ body: @escaping @Sendable (_ db: Database, _ start: Int, _ mustYield: () -> Bool) throws -> (Part, Int)
    ) async throws -> [Part] {
        var parts: [Part] = []
        var start = 0
        repeat {
            let from = start
            let (part, end) = try await writer.write { db in try body(db, from, { group.isWaitingForWriter }) }
            precondition(end > from || end == count, "a bulk write made no progress")
            parts.append(part)
            start = end
        } while start < count
        return parts
    }

    /// How many items a bulk write does at least before it lets waiting opt-outs in.
    static let yieldingWriteStep = 1_000

    /// Whether every migration this build knows has been applied.
    public func isMigrated() async throws -> Bool {
        try await writer.read { db in try SQLiteMigrations.migrator.hasCompletedMigrations(db) }
    }

    /// SQLite runs inside the process; beside it only the log's checkpoints.
    public var services: [any Service] { checkpointer.map { [$0] } ?? [] }

    /// Closes the file's connections; the store must not be used afterwards.
    public func close() throws {
        try writer.close()
    }

    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// A stored enum value; an unknown one means a corrupt row, reported rather than guessed.
    static func decode<Value: RawRepresentable>(_ type: Value.Type, _ raw: String, column: String) throws -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: raw) else { throw StoreError.unknownStoredValue(column: column, value: raw) }
        return value
    }
}

/// Times are stored as Unix milliseconds.
enum Millis {
    static func from(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}
