import Dispatch
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import StoplinkCore
import Synchronization

/// Many Stoplink processes on one PostgreSQL database, through PostgresNIO's connection pool.
///
/// Times are Unix milliseconds (`BIGINT`), as in SQLite, so rows move between the two stores
/// unchanged. Every method is one transaction (`write`) or one statement (`read`); the checks a
/// method makes before it writes hold across processes through row locks, `ON CONFLICT` and
/// unique constraints, never through anything kept in one process.
public struct PostgresStore: Store {
    let client: PostgresClient
    let logger: Logger
    public let url: PostgresURL
    /// Whether the last look at the server found it away (see `HealthWatch`).
    let health = Health()

    /// A store on `url`. Nothing connects until the client's service runs (`services`); a
    /// server that is away shows up as errors from the first queries, not here.
    public init(url: PostgresURL, logger: Logger = Logger(label: "stoplink.postgres")) {
        self.url = url
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: Self.tls(url.sslMode)
        )
        configuration.options.maximumConnections = url.poolSize
        configuration.options.connectTimeout = .seconds(5)
        // The pool logs each failed connection attempt at info; the errors reach callers anyway.
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        client = PostgresClient(configuration: configuration, backgroundLogger: background)
    }

    static func tls(_ mode: PostgresURL.SSLMode) -> PostgresClient.Configuration.TLS {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(unverified)
        case .require: return .require(unverified)
        case .verifyFull: return .require(.makeClientConfiguration())
        }
    }

    /// The connection pool, and a watch on the server: run for as long as the store is used.
    public var services: [any Service] { [client, HealthWatch(store: self)] }

    /// The pool closes when its service stops; nothing is left to flush here.
    public func close() throws {}

    /// Answers within `pingBound`: `/readyz` must say the server is away rather than hang. The
    /// ping runs on a connection of its own, outside the pool: while every pooled connection is
    /// busy, a ping queued behind the requests would take a busy server for one that is away
    /// (and `health` would then refuse every store call).
    ///
    /// A ping that fails or is late counts only when no pooled statement was answered since it
    /// started: on a machine busy enough to delay a ping past its bound the server still
    /// answers. The store refuses requests (`Health.away`) at once when the server refused or
    /// dropped the ping, and after `Health.silenceBound` of late pings with nothing answered:
    /// refusing every request over one slow moment would turn load into an outage.
    public func ping() async throws {
        let started = Health.now()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let connection = try await health.connection { try await connectOutsidePool() }
                    try await connection.execute("SELECT 1", logger: logger)
                }
                group.addTask {
                    try await Task.sleep(for: Self.pingBound)
                    // Closed, so that a statement the server does not answer fails too.
                    health.closeConnection()
                    throw PingLate()
                }
                defer { group.cancelAll() }
                try await group.next()
            }
            health.pingAnswered()
        } catch {
            let late = error is PingLate
            if !health.pingFailed(startedAt: started, late: late) {
                throw late ? StoreError.databaseUnavailable("PostgreSQL did not answer within \(Self.pingBound.components.seconds) s") : error
            }
        }
    }

    static let pingBound = Duration.seconds(3)

    /// A ping that got no answer within `pingBound`.
    struct PingLate: Error {}

    /// Connects once, outside the pool, and answers the server's own error (refused, wrong
    /// password, no such database) at once instead of the pool's retries.
    public func probe() async throws {
        try await connectOutsidePool().close()
    }

    func connectOutsidePool() async throws -> PostgresConnection {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        let tls: PostgresConnection.Configuration.TLS
        switch url.sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: unverified))
        case .require: tls = .require(try NIOSSLContext(configuration: unverified))
        case .verifyFull: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
    }

    /// Applies the missing migrations (under an advisory lock: several processes starting at
    /// once migrate once) and answers which ran.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await PostgresMigrations.migrate(client, logger: logger)
    }

    /// Throws `StoreError.schemaIsBehind` or `.schemaIsNewer` unless the schema is exactly the
    /// one this build knows: `serve` checks, `stoplink migrate` changes.
    public func checkSchema() async throws {
        try await PostgresMigrations.checkCurrent(client, logger: logger)
    }

    // MARK: - Running statements

    /// A connection for reads that need no transaction (each statement sees committed rows).
    func read<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try health.refuseWhileAway()
        let result = try await client.withConnection { connection in try await body(connection) }
        health.answered()
        return result
    }

    /// One transaction: committed when `body` returns, rolled back when it throws (its error is
    /// rethrown as it was). A serialization failure or deadlock, which PostgreSQL reports when
    /// two transactions cross, runs `body` again on a fresh transaction, up to five times.
    func write<Result: Sendable>(
        isolation level: IsolationLevel = .readCommitted,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try health.refuseWhileAway()
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { connection in
                    try await connection.execute("BEGIN ISOLATION LEVEL \(unescaped: level.rawValue)", logger: logger)
                    let result: Result
                    do {
                        result = try await body(connection)
                    } catch {
                        // A connection that broke mid-transaction is closed and its transaction
                        // gone with it: nothing half-written stays, and no ROLLBACK is needed.
                        if Self.connectionIsAlive(after: error) {
                            _ = try? await connection.execute("ROLLBACK", logger: logger)
                        }
                        throw error
                    }
                    try await connection.execute("COMMIT", logger: logger)
                    health.answered()
                    return result
                }
            } catch let error where attempt < 5 && Self.isRetryable(error) {
                logger.debug("transaction retried", metadata: ["attempt": "\(attempt)", "error": "\(String(reflecting: error))"])
                continue
            }
        }
    }

    enum IsolationLevel: String {
        case readCommitted = "READ COMMITTED"
        case serializable = "SERIALIZABLE"
    }

    // MARK: - Errors

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The constraint a server error names, if any.
    static func constraint(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.constraintName]
    }

    /// A unique constraint refused the row (optionally: this constraint or index).
    static func isUniqueViolation(_ error: any Error, constraint name: String? = nil) -> Bool {
        guard sqlState(error) == "23505" else { return false }
        return name == nil || constraint(error) == name
    }

    /// Whether the connection can still take a statement after `error`: yes after anything the
    /// server answered or the caller threw, no after the connection itself failed.
    static func connectionIsAlive(after error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return true }
        return error.code == .server
    }

    /// Serialization failure or deadlock: the whole transaction may simply run again.
    static func isRetryable(_ error: any Error) -> Bool {
        let state = sqlState(error)
        return state == "40001" || state == "40P01"
    }

    /// One line on why PostgreSQL refused or could not be reached, without the password.
    public static func explain(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    /// Whether an error came from PostgreSQL or the connection to it (for `/metrics`).
    public static func isDatabaseFailure(_ error: any Error) -> Bool {
        error is PSQLError || error is PostgresDecodingError
    }

    /// What a store method throws until its PostgreSQL version exists.
    static func unimplemented(_ function: String) -> any Error {
        StoreError.unsupportedDatabase("PostgreSQL store: \(function) is not implemented")
    }

    /// A stored enum value; an unknown one means a corrupt row, reported rather than guessed.
    static func decode<Value: RawRepresentable>(_ type: Value.Type, _ raw: String, column: String) throws -> Value
    where Value.RawValue == String {
        try SQLiteStore.decode(type, raw, column: column)
    }
}

extension PostgresStore {
    /// While the server is away, the pool waits for a connection that does not come; a request
    /// must not wait with it. Once the watch has seen the server away, store calls fail at
    /// once (the recipient gets the error page, `/readyz` 503) until it answers again.
    final class Health: Sendable {
        let away = Atomic<Bool>(false)
        /// When a pooled statement was last answered (`now()`).
        private let lastAnswer = Atomic<UInt64>(0)
        /// The pings' own connection, opened again after it closes.
        private let pingConnection = Mutex<PostgresConnection?>(nil)

        func refuseWhileAway() throws {
            if away.load(ordering: .relaxed) { throw StoreError.databaseUnavailable("the database is not reachable") }
        }

        /// A monotonic clock in nanoseconds.
        static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

        /// A pooled statement was answered: the server is there.
        func answered() {
            lastAnswer.store(Self.now(), ordering: .relaxed)
        }

        /// How long pings may go unanswered, with nothing else answered either, before the
        /// store refuses requests (a refused or dropped ping refuses them at once).
        static let silenceBound: UInt64 = 15_000_000_000

        /// Since when pings have gone unanswered with nothing else answered (0: they have not).
        private let silentSince = Atomic<UInt64>(0)

        /// A ping answered.
        func pingAnswered() {
            silentSince.store(0, ordering: .relaxed)
            away.store(false, ordering: .relaxed)
        }

        /// A ping that started at `started` failed (`late`: it got no answer in time; else the
        /// server refused or dropped it). Answers whether a pooled statement was answered since
        /// it started (the server is there after all), and sets `away`.
        func pingFailed(startedAt started: UInt64, late: Bool, now: UInt64 = now()) -> Bool {
            if lastAnswer.load(ordering: .relaxed) >= started {
                pingAnswered()
                return true
            }
            var since = silentSince.load(ordering: .relaxed)
            if since == 0 {
                since = started
                silentSince.store(started, ordering: .relaxed)
            }
            // Once away, only an answered ping or statement ends it: a server that refused and
            // then stops answering is still away. (Another ping may have stored a later start.)
            let silent = now > since ? now - since : 0
            away.store(away.load(ordering: .relaxed) || !late || silent >= Self.silenceBound, ordering: .relaxed)
            return false
        }

        func connection(_ connect: () async throws -> PostgresConnection) async throws -> PostgresConnection {
            if let open = pingConnection.withLock({ $0 }), !open.isClosed { return open }
            let connection = try await connect()
            // Two pings at once (the watch and `/readyz`) may both have connected: the first
            // one kept is used by both, the other closed unused.
            let kept = pingConnection.withLock { kept -> PostgresConnection in
                if let other = kept, !other.isClosed { return other }
                kept = connection
                return connection
            }
            if kept !== connection { Self.close(connection) }
            return kept
        }

        func closeConnection() {
            let kept = pingConnection.withLock { kept in
                defer { kept = nil }
                return kept
            }
            if let kept { Self.close(kept) }
        }

        deinit { closeConnection() }

        /// Closes without waiting; the connection lives until it is closed (PostgresNIO asserts that).
        private static func close(_ connection: PostgresConnection) {
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    /// Pings the server every second (each ping bounded by `pingBound`) and keeps `health`.
    struct HealthWatch: Service {
        let store: PostgresStore

        func run() async throws {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await store.ping()
                try? await Task.sleep(for: .seconds(1))
            }
            store.health.closeConnection()
        }
    }
}

extension PostgresRandomAccessRow {
    /// The value of `column`, decoded as `type` (a NULL decodes to nil for optional types).
    func value<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        try self[column].decode(Value.self)
    }

    /// A `BIGINT` column of Unix milliseconds as a date.
    func date(_ column: String) throws -> Date {
        Millis.date(try value(column, as: Int64.self))
    }

    /// A nullable `BIGINT` column of Unix milliseconds as a date.
    func optionalDate(_ column: String) throws -> Date? {
        try value(column, as: Int64?.self).map(Millis.date)
    }
}

extension PostgresConnection {
    /// Every row `query` answers. Each statement Stoplink runs goes through here, never through
    /// PostgresNIO's `query` directly: PostgresNIO (1.33) drops a statement written to a
    /// connection whose channel has already closed, without failing it, and its caller waits
    /// for ever. That happens when the server or the network goes away: the pool can lend a
    /// connection that closed a moment ago, and a connection can close between two statements
    /// of a transaction. So the statement is handed over on the connection's event loop right
    /// after checking there that the connection is open: once handed over, it is answered, or
    /// failed when the connection closes.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await eventLoop.flatSubmit { [self] () -> EventLoopFuture<[PostgresRow]> in
            guard !isClosed else {
                return eventLoop.makeFailedFuture(StoreError.databaseUnavailable("the connection to the database closed"))
            }
            return self.query(query, logger: logger).map { $0.rows }
        }.get()
    }

    /// Every row of `query`, each decoded by `transform` (rows are read by column name).
    func all<Value>(
        _ query: PostgresQuery, logger: Logger, _ transform: (PostgresRandomAccessRow) throws -> Value
    ) async throws -> [Value] {
        try await rows(query, logger: logger).map { try transform($0.makeRandomAccess()) }
    }

    /// The first row of `query`, if any, decoded by `transform`.
    func first<Value>(
        _ query: PostgresQuery, logger: Logger, _ transform: (PostgresRandomAccessRow) throws -> Value
    ) async throws -> Value? {
        try await rows(query, logger: logger).first.map { try transform($0.makeRandomAccess()) }
    }

    /// The first column of the first row, if there is a row.
    func scalar<Value: PostgresDecodable>(_ query: PostgresQuery, as type: Value.Type = Value.self, logger: Logger) async throws -> Value? {
        try await rows(query, logger: logger).first.map { try $0.decode(Value.self) }
    }

    /// Runs a statement, dropping whatever rows it answers.
    func execute(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await rows(query, logger: logger)
    }

    /// How many rows a statement answers: with `RETURNING 1`, how many it changed.
    func count(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await rows(query, logger: logger).count
    }
}
