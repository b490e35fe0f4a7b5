import Foundation
import Logging
import PostgresNIO
import StoplinkStore

/// Fresh, migrated PostgreSQL databases for tests, each a copy of one template that this test
/// process migrates once. The server is `STOPLINK_TEST_POSTGRES_URL` (default
/// `postgres://stoplink:stoplink@127.0.0.1:5432/postgres?sslmode=disable`, which `scripts/test`
/// starts); its user needs `CREATEDB`. A test that needs PostgreSQL fails when it is away.
public enum PostgresTestDatabase {
    public static let serverURL: String =
        ProcessInfo.processInfo.environment["STOPLINK_TEST_POSTGRES_URL"]
        ?? "postgres://stoplink:stoplink@127.0.0.1:5432/postgres?sslmode=disable"

    /// The URL of a new, empty, migrated database, and how to drop it (also when a test's store
    /// still has connections open).
    public static func make() async throws -> (url: String, drop: @Sendable () async -> Void) {
        let admin = try await Admin.shared.client()
        let template = try await Admin.shared.template()
        let name = "stoplink_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template)")
        return (url(database: name), {
            _ = try? await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)")
        })
    }

    /// A store on a fresh database with its pool running, and how to stop it and drop the database.
    public static func makeStore(poolSize: Int = 4) async throws -> (store: PostgresStore, cleanup: @Sendable () async -> Void) {
        let (url, drop) = try await make()
        let store = PostgresStore(url: try PostgresURL(url + "&pool_size=\(poolSize)"), logger: quietLogger)
        let pool = Task { await runServices(store) }
        return (store, {
            pool.cancel()
            await pool.value
            await drop()
        })
    }

    /// `serverURL` with its database replaced by `database`.
    public static func url(database: String) -> String {
        guard var components = URLComponents(string: serverURL) else { return serverURL }
        components.path = "/" + database
        if components.queryItems == nil { components.queryItems = [] }
        return components.string ?? serverURL
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "stoplink.test.postgres")
        logger.logLevel = .critical
        return logger
    }()

    static func runServices(_ store: PostgresStore) async {
        await withDiscardingTaskGroup { group in
            for service in store.services { group.addTask { try? await service.run() } }
        }
    }

    /// The server connection that creates and drops databases, and the process's template.
    actor Admin {
        static let shared = Admin()
        private var running: PostgresClient?
        private var templateTask: Task<String, any Error>?

        func client() throws -> PostgresClient {
            if let running { return running }
            let url: PostgresURL
            do {
                url = try PostgresURL(PostgresTestDatabase.serverURL)
            } catch {
                throw TestDatabaseError("STOPLINK_TEST_POSTGRES_URL is not usable: \(error)")
            }
            var configuration = PostgresClient.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable
            )
            configuration.options.maximumConnections = 4
            configuration.options.connectTimeout = .seconds(5)
            let client = PostgresClient(configuration: configuration, backgroundLogger: quietLogger)
            Task.detached { await client.run() }
            running = client
            return client
        }

        func template() async throws -> String {
            if let templateTask { return try await templateTask.value }
            let admin = try client()
            let task = Task<String, any Error> {
                let name = "stoplink_tpl_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                do {
                    try await admin.query("CREATE DATABASE \(unescaped: name)")
                } catch {
                    throw TestDatabaseError(
                        "PostgreSQL is needed for this test and could not be used at \(PostgresTestDatabase.serverURL): "
                            + PostgresStore.explain(error) + " (scripts/test starts one; see README)"
                    )
                }
                let store = PostgresStore(url: try PostgresURL(url(database: name)), logger: quietLogger)
                let pool = Task { await runServices(store) }
                defer { pool.cancel() }
                try await store.migrate()
                pool.cancel()
                await pool.value
                return name
            }
            templateTask = task
            return try await task.value
        }
    }
}

public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
