import Logging
import ServiceLifecycle
import StoplinkServer
import StoplinkStore

/// Opens the configured database for one command and runs the store's background services
/// (a database client's pool; none for SQLite) until `body` is done. Every command opens its
/// store here, so none can forget them.
func withStore<Result>(
    _ config: AppConfig, logger: Logger = Logger(label: "stoplink"), _ body: (any Store) async throws -> Result
) async throws -> Result {
    let store = try openStore(config.database)
    let services = ServiceGroup(services: store.services, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        let result: Swift.Result<Result, any Error>
        do {
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
