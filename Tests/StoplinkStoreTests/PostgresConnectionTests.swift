import PostgresNIO
@testable import StoplinkStore
import StoplinkTesting
import Testing

@Suite("PostgreSQL statements on a connection that closed")
struct PostgresConnectionTests {
    /// When the server or the network goes away, the pool can lend a connection that has just
    /// closed, and a connection can close between two statements of a transaction. A statement
    /// on it must fail at once (the request then answers an error page), never wait for an
    /// answer that cannot come. The deadline bounds the statements only: creating the test's
    /// database can wait its turn behind many others on a busy machine.
    @Test
    func aStatementOnAClosedConnectionFails() async throws {
        let (store, cleanup) = try await PostgresTestDatabase.makeStore(poolSize: 1)
        do {
            try await withDeadline(seconds: 20) { try await Self.closeThenQuery(store) }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    private static func closeThenQuery(_ store: PostgresStore) async throws {
        try await store.client.withConnection { connection in
            try await connection.execute("SELECT 1", logger: store.logger)
            try await connection.close()
            // Completed once the channel is closed and its handlers are gone.
            try await connection.closeFuture.get()
            await #expect(throws: (any Error).self) {
                try await connection.execute("SELECT 1", logger: store.logger)
            }
        }
        // The pool replaces the closed connection.
        #expect(try await store.read { try await $0.scalar("SELECT 1", as: Int32.self, logger: store.logger) } == 1)
    }
}

@Suite("PostgreSQL health: away only when nothing is answered")
struct PostgresHealthTests {
    /// On a busy machine a ping can be late while the pool's statements are answered: the
    /// server is there, and refusing every request would turn load into an outage.
    @Test
    func aLatePingWhileStatementsAreAnsweredIsNotAway() throws {
        let health = PostgresStore.Health()
        let pingStarted = PostgresStore.Health.now()
        health.answered()

        let answered = health.pingFailed(startedAt: pingStarted, late: true)

        #expect(answered)
        try health.refuseWhileAway()
    }

    @Test
    func aRefusedPingWithNothingAnsweredSinceIsAwayAtOnce() {
        let health = PostgresStore.Health()
        health.answered()
        let pingStarted = PostgresStore.Health.now() + 1

        let answered = health.pingFailed(startedAt: pingStarted, late: false)

        #expect(!answered)
        #expect(throws: StoreError.self) { try health.refuseWhileAway() }
    }

    @Test
    func aLatePingAfterARefusedOneKeepsItAway() {
        let health = PostgresStore.Health()
        let first = PostgresStore.Health.now() + 1

        _ = health.pingFailed(startedAt: first, late: false, now: first + 10)
        _ = health.pingFailed(startedAt: first + 20, late: true, now: first + 30)

        #expect(throws: StoreError.self) { try health.refuseWhileAway() }
    }

    /// Two pings at once: one may store a start later than the other's clock reading.
    @Test
    func aStartLaterThanTheClockReadingDoesNotTrap() throws {
        let health = PostgresStore.Health()
        let first = PostgresStore.Health.now() + 1

        _ = health.pingFailed(startedAt: first + 5_000_000_000, late: true, now: first + 10)

        try health.refuseWhileAway()
    }

    @Test
    func latePingsWithNothingAnsweredAreAwayOnlyAfterTheSilenceBound() throws {
        let health = PostgresStore.Health()
        let first = PostgresStore.Health.now() + 1
        let bound = PostgresStore.Health.silenceBound

        _ = health.pingFailed(startedAt: first, late: true, now: first + 3_000_000_000)
        try health.refuseWhileAway()
        _ = health.pingFailed(startedAt: first + bound / 2, late: true, now: first + bound - 1)
        try health.refuseWhileAway()
        _ = health.pingFailed(startedAt: first + bound - 1, late: true, now: first + bound)
        #expect(throws: StoreError.self) { try health.refuseWhileAway() }

        // A late ping after that does not end it.
        _ = health.pingFailed(startedAt: first + bound + 1, late: true, now: first + bound + 2)
        #expect(throws: StoreError.self) { try health.refuseWhileAway() }

        // An answered ping ends it, and the silence counts from zero again.
        health.pingAnswered()
        try health.refuseWhileAway()
        _ = health.pingFailed(startedAt: first + 2 * bound, late: true, now: first + 2 * bound + 3_000_000_000)
        try health.refuseWhileAway()
    }
}
