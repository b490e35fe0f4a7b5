import Foundation
import Logging
import ServiceLifecycle
import StoplinkServer
import StoplinkStore

/// Opens the configured database for one command and runs the store's background services
/// (a database client's pool; none for SQLite) until `body` is done. Every command opens its
/// store here, so none can forget them.
///
/// SQLite migrates when its file opens. On PostgreSQL, where several processes share one
/// database, only `migrate` (`migrating: true`) changes the schema; every other command checks
/// that the schema is exactly the one this build knows and stops with one clear message when
/// the server is away, refuses the login, or the schema is behind or ahead.
func withStore<Result>(
    _ config: AppConfig, migrating: Bool = false, logger: Logger = Logger(label: "stoplink"),
    _ body: (any Store) async throws -> Result
) async throws -> Result {
    let store = try openStore(config.database, logger: logger)
    let services = ServiceGroup(services: store.services, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        let result: Swift.Result<Result, any Error>
        do {
            if let postgres = store as? PostgresStore {
                try await prepare(postgres, migrating: migrating)
            }
            result = .success(try await body(store))
        } catch {
            result = .failure(error)
        }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        do {
            try store.close()
        } catch {
            logger.error("could not close the database", metadata: ["error": "\(error)"])
        }
        return try result.get()
    }
}

/// Migrates or checks a PostgreSQL database, within a bound: a server that never answers
/// stops the command with a message instead of hanging it.
private func prepare(_ store: PostgresStore, migrating: Bool) async throws {
    let bound = Duration.seconds(15)
    do {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await store.probe()
                if migrating { try await store.migrate() } else { try await store.checkSchema() }
            }
            group.addTask {
                try await Task.sleep(for: bound)
                throw DatabaseUnavailable(message: "no answer within \(bound.components.seconds) s")
            }
            try await group.next()
            group.cancelAll()
        }
    } catch let error as StoreError {
        throw error
    } catch {
        throw DatabaseUnavailable(message: "PostgreSQL at \(store.url.redacted): \(PostgresStore.explain(error))")
    }
}

/// The database could not be used at start; `message` says why in one line.
struct DatabaseUnavailable: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
