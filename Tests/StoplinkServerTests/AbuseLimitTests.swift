import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// The abuse limits through the real application: each one refuses with 429 and `Retry-After`
/// after its count and lets the client in again once the window has refilled (the fixture's
/// clock is moved by hand), and never slows down a recipient doing what a recipient does.
@Suite("Abuse limits")
struct AbuseLimitTests {
    static let unknown = "zzzzzzzzzz"

    /// A fixture whose only tight limit is the one the test looks at.
    static func limits(_ change: @escaping (inout RateLimits) -> Void) -> (inout AppConfig) -> Void {
        { config in change(&config.rateLimits) }
    }

    @Test("Unknown codes: 429 with Retry-After after the limit, for every code, until the window refills")
    func unknownCodes() async throws {
        let fixture = try await Fixture(configure: Self.limits { $0.unknownCode = RateLimit(name: "unknown_code", count: 3, window: 60) })
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            let misses = try await (1...3).asyncMap { try await client.open("/zzzzzzzz\($0)z").status }
            let over = try await client.open("/\(Self.unknown)")
            let knownWhileOver = try await client.open("/\(code)")
            let postWhileOver = try await client.post("/\(Self.unknown)", fields: [("phone", "1")])
            fixture.clock.advance(by: 20)
            let knownAfter = try await client.open("/\(code)")
            let missAfter = try await client.open("/\(Self.unknown)")
            let overAgain = try await client.open("/\(Self.unknown)")

            #expect(misses == [.notFound, .notFound, .notFound])
            #expect(over.status == .tooManyRequests)
            #expect(over.headers[.retryAfter] == "20")
            #expect(over.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(text(over).contains("Too many tries"))
            #expect(knownWhileOver.status == .tooManyRequests, "a limited client learns nothing about which codes exist")
            #expect(postWhileOver.status == .tooManyRequests)
            #expect(knownAfter.status == .ok)
            #expect(missAfter.status == .notFound)
            #expect(overAgain.status == .tooManyRequests)
            #expect(overAgain.headers[.retryAfter] == "20")
        }
    }

    @Test("Parallel lookups of unknown codes from one client get no more 404s than the limit allows")
    func parallelUnknownCodes() async throws {
        let fixture = try await Fixture(configure: Self.limits { $0.unknownCode = RateLimit(name: "unknown_code", count: 3, window: 60) })

        let statuses = try await fixture.application().test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<20 { group.addTask { try await client.open("/zzzzzzzz\(index % 10)y").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }

        #expect(statuses.filter { $0 == .notFound }.count == 3)
        #expect(statuses.filter { $0 == .tooManyRequests }.count == 17)
    }

    @Test("Parallel API requests with one key get no more answers than the key's limit")
    func parallelAPI() async throws {
        let fixture = try await APIFixture(configure: Self.limits { $0.api = RateLimit(name: "api", count: 5, window: 60) })

        let statuses = try await fixture.application().test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<16 { group.addTask { try await client.api(.get, "/api/v1/company", key: fixture.key).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }

        #expect(statuses.filter { $0 == .ok }.count == 5)
        #expect(statuses.filter { $0 == .tooManyRequests }.count == 11)
    }

    @Test("A recipient opening, reloading and confirming a real link is never limited at the defaults")
    func recipientUnderDefaults() async throws {
        let fixture = try await Fixture()

        try await fixture.application().test(.router) { client in
            let views = try await (0..<60).asyncMap { _ in try await client.open("/\(fixture.link.code)").status }
            let typo = try await client.open("/\(Self.unknown)")
            let optOut = try await client.optOut(code: fixture.link.code, phone: "06 12345678")
            let done = try await client.open("/\(fixture.link.code)/done")

            #expect(views.allSatisfy { $0 == .ok })
            #expect(typo.status == .notFound)
            #expect(optOut.status == .seeOther)
            #expect(done.status == .ok)
        }
    }

    @Test("Form posts: 429 page with Retry-After after the limit, and the form works again after the window")
    func formPosts() async throws {
        let fixture = try await Fixture(configure: Self.limits { $0.form = RateLimit(name: "form", count: 2, window: 60) })
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            let page = try await client.open("/\(code)")
            let token = try #require(formToken(in: page))
            let wrong = try await (0..<2).asyncMap { _ in
                try await client.post("/\(code)", fields: [("token", token), ("phone", "0612345670")]).status
            }
            let over = try await client.post("/\(code)", fields: [("token", token), ("phone", "0612345678")])
            let stateWhileOver = try await fixture.store.suppression(companyID: fixture.company.id, phone: fixture.link.phone)
            fixture.clock.advance(by: 30)
            let after = try await client.post("/\(code)", fields: [("token", token), ("phone", "0612345678")])

            #expect(wrong == [.unprocessableContent, .unprocessableContent])
            #expect(over.status == .tooManyRequests)
            #expect(over.headers[.retryAfter] == "30")
            #expect(text(over).contains("Too many tries"))
            #expect(stateWhileOver == nil, "a refused post records nothing")
            #expect(after.status == .seeOther)
        }
    }

    @Test("API: 429 JSON error with Retry-After per key; another key is not affected; the key recovers")
    func apiPerKey() async throws {
        let fixture = try await APIFixture(configure: Self.limits { $0.api = RateLimit(name: "api", count: 3, window: 60) })

        try await fixture.application().test(.router) { client in
            let allowed = try await (0..<3).asyncMap { _ in try await client.api(.get, "/api/v1/company", key: fixture.key).status }
            let over = try await client.api(.get, "/api/v1/company", key: fixture.key)
            let otherKey = try await client.api(.get, "/api/v1/company", key: fixture.otherKey)
            fixture.base.clock.advance(by: 20)
            let after = try await client.api(.get, "/api/v1/company", key: fixture.key)

            #expect(allowed == [.ok, .ok, .ok])
            #expect(over.status == .tooManyRequests)
            #expect(over.headers[.retryAfter] == "20")
            #expect(try errorCode(over) == "rate_limited")
            #expect(otherKey.status == .ok)
            #expect(after.status == .ok)
        }
    }

    @Test("Inbound: signed messages per destination number; 429 with Retry-After, another number unaffected, then recovery")
    func inboundPerNumber() async throws {
        let fixture = try await InboundFixture(policy: .apply, configure: Self.limits {
            $0.inbound = RateLimit(name: "inbound", count: 2, window: 60)
        })
        @Sendable func message(_ id: Int, to: String = InboundFixture.number) -> String {
            #"{"id": "m\#(id)", "from": "+3161111111\#(id)", "to": "\#(to)", "text": "STOP"}"#
        }

        try await fixture.api.application().test(.router) { client in
            let now = fixture.clock.now()
            let allowed = try await (1...2).asyncMap { try await client.generic(message($0), secret: fixture.secret, id: "m\($0)", timestamp: now).status }
            let over = try await client.generic(message(3), secret: fixture.secret, id: "m3", timestamp: now)
            let twilioOver = try await client.twilio(sms("STOP", from: "+31611111114", sid: "SM4"))
            let otherNumber = try await client.generic(message(5, to: "3611"), secret: fixture.secret, id: "m5", timestamp: now)
            let forged = try await (0..<5).asyncMap { _ in
                try await client.generic(message(6, to: "3611"), secret: "whsec_" + Data(repeating: 7, count: 24).base64EncodedString(), id: "m6", timestamp: now).status
            }
            let afterForgery = try await client.generic(message(8, to: "3611"), secret: fixture.secret, id: "m8", timestamp: now)
            fixture.clock.advance(by: 30)
            let after = try await client.generic(message(7), secret: fixture.secret, id: "m7", timestamp: fixture.clock.now())

            #expect(allowed == [.ok, .ok])
            #expect(over.status == .tooManyRequests)
            #expect(over.headers[.retryAfter] == "30")
            #expect(try errorCode(over) == "rate_limited")
            #expect(twilioOver.status == .tooManyRequests)
            #expect(twilioOver.headers[.retryAfter] != nil)
            #expect(try await fixture.state("+31611111113") == nil, "a refused message records nothing")
            #expect(otherNumber.status == .ok)
            #expect(forged.allSatisfy { $0 == .forbidden })
            #expect(after.status == .ok)
            #expect(afterForgery.status == .ok, "forged messages do not use up a number's allowance")
        }
    }

    @Test("The login limit is a named limit any route can take from, per client")
    func loginLimit() async throws {
        let clock = ManualClock()
        let abuse = AbuseLimits(
            limits: RateLimits(), trustedProxies: .none, limiter: MemoryRateLimiter(), clock: clock, metrics: StoplinkMetrics()
        )
        let login = try #require(abuse.limits.login)
        let logger = CapturedLogs().logger()

        var answers: [Int?] = []
        for _ in 0..<login.count { answers.append(await abuse.check(login, key: "198.51.100.7", logger: logger)) }
        let over = await abuse.check(login, key: "198.51.100.7", logger: logger)
        let other = await abuse.check(login, key: "198.51.100.8", logger: logger)

        #expect(login.name == "login")
        #expect(answers.allSatisfy { $0 == nil })
        #expect(over == 6)
        #expect(other == nil)
    }

    @Test("A flood of distinct clients keeps the limiter's memory bounded; refilled buckets go first")
    func boundedMemory() async throws {
        let limiter = MemoryRateLimiter(capacity: 1_000)
        let limit = RateLimit(name: "unknown_code", count: 2, window: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        _ = await limiter.take(limit, key: "limited", at: start)
        _ = await limiter.take(limit, key: "limited", at: start)

        var largest = 0
        for index in 0..<20_000 {
            _ = await limiter.take(limit, key: "203.0.\(index / 256).\(index % 256)", at: start.addingTimeInterval(Double(index) / 1_000))
            largest = max(largest, limiter.count)
        }
        let peek = await limiter.take(limit, key: "never-seen", at: start, consume: false)

        #expect(largest <= 1_000)
        #expect(peek == .allowed)
        #expect(limiter.count <= 1_000, "asking about a client never seen stores nothing")
    }

    @Test("A limited client stays limited while idle buckets are evicted around it")
    func evictionKeepsLiveBuckets() async throws {
        let limiter = MemoryRateLimiter(capacity: 100)
        let limit = RateLimit(name: "form", count: 1, window: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<99 { _ = await limiter.take(limit, key: "old-\(index)", at: start) }
        let later = start.addingTimeInterval(61)
        _ = await limiter.take(limit, key: "abuser", at: later)

        for index in 0..<20 { _ = await limiter.take(limit, key: "new-\(index)", at: later) }
        let abuser = await limiter.take(limit, key: "abuser", at: later)

        #expect(abuser == .refused(retryAfter: 60))
        #expect(limiter.count == 21)
    }
}

/// Client addresses on a real socket: the peer is 127.0.0.1.
@Suite("Abuse limits: client addresses behind proxies")
struct ClientAddressTests {
    static func fixture(trusting entries: [String]) async throws -> Fixture {
        let proxies = try TrustedProxies(parsing: entries)
        return try await Fixture { config in
            config.rateLimits.unknownCode = RateLimit(name: "unknown_code", count: 2, window: 60)
            config.trustedProxies = proxies
        }
    }

    func miss(_ client: some TestClientProtocol, forwardedFor: String?) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [:]
        if let forwardedFor { headers[HTTPField.Name("X-Forwarded-For")!] = forwardedFor }
        return try await client.open("/\(AbuseLimitTests.unknown)", headers: headers).status
    }

    @Test("Behind a trusted proxy each forwarded client has its own allowance; one at its limit does not affect another")
    func trustedProxy() async throws {
        // The test server listens on localhost: IPv4 or IPv6 loopback.
        let fixture = try await Self.fixture(trusting: ["127.0.0.1", "::1"])

        try await fixture.application().test(.live) { client in
            let first = try await (0..<2).asyncMap { _ in try await miss(client, forwardedFor: "198.51.100.7") }
            let over = try await miss(client, forwardedFor: "198.51.100.7")
            // What the client itself wrote left of the proxy's entry is not believed.
            let spoofedLeft = try await miss(client, forwardedFor: "203.0.113.99, 198.51.100.7")
            let other = try await miss(client, forwardedFor: "198.51.100.8")

            #expect(first == [.notFound, .notFound])
            #expect(over == .tooManyRequests)
            #expect(spoofedLeft == .tooManyRequests)
            #expect(other == .notFound)
        }
    }

    @Test("A flood of distinct forwarded addresses through the server keeps the limiter within its bound")
    func floodThroughServer() async throws {
        let base = try await Self.fixture(trusting: ["127.0.0.1", "::1"])
        let limiter = MemoryRateLimiter(capacity: 50)
        var dependencies = base.dependencies
        dependencies.limiter = limiter
        let application = buildApplication(config: base.config, dependencies: dependencies, logger: base.logs.logger())

        let statuses = try await application.test(.live) { client in
            try await (0..<300).asyncMap { try await miss(client, forwardedFor: "198.51.\($0 / 200).\($0 % 200)") }
        }

        #expect(statuses.allSatisfy { $0 == .notFound }, "each address made one lookup")
        #expect(limiter.count <= 50)
        #expect(limiter.count > 0)
    }

    @Test("An untrusted peer's X-Forwarded-For is ignored: inventing addresses does not evade the limit")
    func untrustedPeer() async throws {
        let fixture = try await Self.fixture(trusting: ["10.0.0.0/8"])

        try await fixture.application().test(.live) { client in
            let statuses = try await (1...4).asyncMap { try await miss(client, forwardedFor: "198.51.100.\($0)") }
            let plain = try await miss(client, forwardedFor: nil)

            #expect(statuses == [.notFound, .notFound, .tooManyRequests, .tooManyRequests])
            #expect(plain == .tooManyRequests)
        }
    }
}

extension Sequence where Element: Sendable {
    /// The results of `transform` in order, one after another.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
