import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Synchronization
import Testing

/// Holds the first request that reaches it until `open()`; every later one passes at once. It
/// keeps a request running for as long as a test needs, without waiting on time.
final class Gate: Sendable {
    private struct State {
        var taken = false
        var opened = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func holdFirst() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let passNow = state.withLock { state in
                if state.taken || state.opened { return true }
                state.taken = true
                state.waiter = continuation
                return false
            }
            if passNow { continuation.resume() }
        }
    }

    func open() {
        let waiter = state.withLock { state in
            state.opened = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}

/// Runs `inner` on each request that passes the idempotency middleware, before the route.
struct InnerMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let inner: @Sendable () async throws -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await inner()
        return try await next(request, context)
    }
}

/// Fails the first request that reaches it (a 500) and lets every later one pass.
final class FailFirst: Sendable {
    struct Failure: Error {}

    private let pending = Mutex(true)

    func check() throws {
        let fail = pending.withLock { pending in
            defer { pending = false }
            return pending
        }
        if fail { throw Failure() }
    }
}

@Suite("Idempotency-Key under concurrency and failure")
struct IdempotencyTests {
    static let keyHeader = HTTPField.Name("Idempotency-Key")!

    /// `/api/v1/keys` behind the real key and idempotency middleware, with `inner` run inside them.
    static func keysApplication(_ fixture: APIFixture, inner: @escaping @Sendable () async throws -> Void) -> some ApplicationProtocol {
        let router = Router(context: AppRequestContext.self)
        let api = router.group("api/v1")
            .add(middleware: APIKeyMiddleware(store: fixture.store, clock: fixture.base.clock))
            .add(middleware: IdempotencyMiddleware(store: fixture.store, clock: fixture.base.clock))
            .add(middleware: InnerMiddleware(inner: inner))
        KeysAPI(store: fixture.store, clock: fixture.base.clock).addRoutes(to: api)
        return Application(router: router)
    }

    @Test("Concurrent POSTs with one Idempotency-Key create one key; the others hear 409 while it runs")
    func concurrentCreateOnce() async throws {
        let fixture = try await APIFixture()
        let gate = Gate()
        let requests = 8
        let headers: HTTPFields = [Self.keyHeader: "create-key-once"]

        let responses = try await Self.keysApplication(fixture, inner: { await gate.holdFirst() }).test(.router) { client in
            try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<requests {
                    group.addTask {
                        try await client.api(.post, "/api/v1/keys", key: fixture.key, json: #"{"name": "ci"}"#, headers: headers)
                    }
                }
                var answered: [TestResponse] = []
                for try await response in group {
                    answered.append(response)
                    // Every request but the held one has answered: let the held one finish.
                    if answered.count == requests - 1 { gate.open() }
                }
                return answered
            }
        }

        let created = responses.filter { $0.status == .created }
        let inFlight = responses.filter { $0.status == .conflict }
        #expect(created.count == 1)
        #expect(inFlight.count == requests - 1)
        for response in inFlight {
            #expect(try errorCode(response) == "idempotency_key_in_flight")
            #expect(response.headers[.retryAfter] == "1")
        }
        #expect(try await fixture.store.keys(companyID: fixture.company.id).filter { $0.name == "ci" }.count == 1)
    }

    @Test("A request that failed frees its Idempotency-Key: the retry runs")
    func failureReleases() async throws {
        let fixture = try await APIFixture()
        let failFirst = FailFirst()
        let headers: HTTPFields = [Self.keyHeader: "create-key-retry"]

        let (failed, retried) = try await Self.keysApplication(fixture, inner: { try failFirst.check() }).test(.router) { client in
            let failed = try await client.api(.post, "/api/v1/keys", key: fixture.key, json: #"{"name": "ci"}"#, headers: headers)
            let retried = try await client.api(.post, "/api/v1/keys", key: fixture.key, json: #"{"name": "ci"}"#, headers: headers)
            return (failed, retried)
        }

        #expect(failed.status == .internalServerError)
        #expect(retried.status == .created)
        #expect(try await fixture.store.keys(companyID: fixture.company.id).filter { $0.name == "ci" }.count == 1)
    }
}
