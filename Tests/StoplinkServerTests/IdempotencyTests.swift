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
            .add(middleware: APIKeyMiddleware(store: fixture.store, clock: fixture.base.clock, abuse: AbuseLimits(
                limits: fixture.base.config.rateLimits, trustedProxies: .none, limiter: MemoryRateLimiter(), clock: fixture.base.clock,
                metrics: fixture.base.dependencies.metrics
            )))
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

    @Test("An answer that shows a secret is never kept: a repeat hears 409 already_created, and no secret is stored")
    func secretsAreNotKept() async throws {
        let fixture = try await APIFixture()
        let hook = try await fixture.store.createEndpoint(
            companyID: fixture.company.id, url: "http://127.0.0.1:9/hook", description: "", eventTypes: [], at: fixture.base.clock.now()
        )
        let requests: [(key: String, path: String, json: String?)] = [
            ("new-key", "/api/v1/keys", #"{"name": "ci"}"#),
            ("new-hook", "/api/v1/webhooks", #"{"url": "http://127.0.0.1:9/hook"}"#),
            ("rotate-hook", "/api/v1/webhooks/\(hook.id)/rotate-secret", nil),
            ("inbound-secret", "/api/v1/inbound/secret", nil),
        ]

        let answers = try await fixture.application().test(.router) { client in
            var answers: [(first: TestResponse, repeated: TestResponse)] = []
            for request in requests {
                let headers: HTTPFields = [Self.keyHeader: request.key]
                let first = try await client.api(.post, request.path, key: fixture.key, json: request.json, headers: headers)
                let repeated = try await client.api(.post, request.path, key: fixture.key, json: request.json, headers: headers)
                answers.append((first, repeated))
            }
            return answers
        }

        for (request, answer) in zip(requests, answers) {
            #expect(answer.first.status.code / 100 == 2, "\(request.path)")
            #expect(text(answer.first).contains("sk_") || text(answer.first).contains("whsec_"), "the first answer shows the secret")
            #expect(answer.first.headers[IdempotencyMiddleware.shownOnce] == nil)
            #expect(answer.repeated.status == .conflict, "\(request.path)")
            #expect(try errorCode(answer.repeated) == "already_created")
            #expect(answer.repeated.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let kept = try #require(try await fixture.store.idempotentAnswer(
                companyID: fixture.company.id, key: request.key, at: fixture.base.clock.now()
            ))
            let keptText = String(decoding: kept.body, as: UTF8.self)
            #expect(!keptText.contains("sk_") && !keptText.contains("whsec_"), "\(request.path) kept \(keptText)")
        }
        #expect(try await fixture.store.keys(companyID: fixture.company.id).filter { $0.name == "ci" }.count == 1)
    }

    @Test("A kept answer is replayed for a day; 25 hours later the request runs again")
    func answersExpire() async throws {
        let fixture = try await APIFixture()
        let headers: HTTPFields = [Self.keyHeader: "campaign-bf"]
        let body = #"{"ref": "bf"}"#

        let (first, nextDay, later) = try await fixture.application().test(.router) { client in
            let first = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: body, headers: headers)
            fixture.base.clock.advance(by: 23 * 3600)
            let nextDay = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: body, headers: headers)
            fixture.base.clock.advance(by: 2 * 3600)
            let later = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: body, headers: headers)
            return (first, nextDay, later)
        }

        #expect(first.status == .created)
        #expect(nextDay.status == .created)
        #expect(nextDay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
        #expect(later.status == .conflict, "the request ran again and found its campaign")
        #expect(try errorCode(later) == "campaign_exists")
        #expect(later.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
    }
}
