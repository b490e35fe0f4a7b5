import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Copies the SQLite file's write-ahead log back into the database from a connection of its own.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 pages of log, on the
/// writer: after a bulk part that was many megabytes, an opt-out waiting for the writer also
/// waited for that copy (the slowest acknowledgement during a 1,000,000-link issue was 357.8 ms,
/// 196.6 ms without it). The store turns it off (`wal_autocheckpoint = 0`) and this service runs
/// a passive checkpoint every `interval` instead: it takes no lock a writer or reader needs, so
/// the copy runs on the other core while writes go on. Durability does not depend on it: a
/// commit is on disk once its log frames are (`synchronous=FULL`).
public struct WALCheckpointer: Service {
    public static let defaultInterval: Duration = .seconds(2)

    let path: String
    let interval: Duration
    let logger: Logger

    public init(path: String, interval: Duration = Self.defaultInterval, logger: Logger = Logger(label: "stoplink.sqlite")) {
        self.path = path
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let connection = try Self.connection(path: path)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            do {
                try await Self.checkpoint(connection)
            } catch {
                logger.warning("could not checkpoint the SQLite log", metadata: ["error": "\(error)"])
            }
        }
        try? await Self.checkpoint(connection)
        try connection.close()
    }

    /// A connection that only checkpoints: it never waits for a lock (a passive checkpoint skips
    /// frames it cannot copy yet; the next round takes them).
    static func connection(path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.label = "stoplink.checkpointer"
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// One passive checkpoint.
    static func checkpoint(_ connection: DatabaseQueue) async throws {
        try await connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
    }
}
