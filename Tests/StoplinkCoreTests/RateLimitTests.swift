import Foundation
import Testing
@testable import StoplinkCore

@Suite("Rate limits, token buckets and client addresses")
struct RateLimitTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("COUNT/PERIOD is read in seconds, minutes and hours; off turns a limit off", arguments: [
        ("20/min", 20, 60.0), ("6000/m", 6000, 60), ("100/h", 100, 3600), ("5/30s", 5, 30), ("10/s", 10, 1), (" 3/2min ", 3, 120),
    ])
    func parse(text: String, count: Int, window: Double) throws {
        let limit = try #require(try RateLimit.parse(text, name: "form"))

        #expect(limit == RateLimit(name: "form", count: count, window: window))
    }

    @Test("off is no limit, and nonsense is refused with the limit's name", arguments: ["0/min", "-1/min", "20", "20/", "20/week", "x/min", "20/0s", ""])
    func parseRefusals(text: String) throws {
        #expect(try RateLimit.parse("off", name: "api") == nil)
        #expect(throws: RateLimitError.self) { try RateLimit.parse(text, name: "api") }
    }

    @Test("a bucket lets COUNT through at once, then refuses with the seconds until the next token")
    func bucket() {
        let limit = RateLimit(name: "unknown_code", count: 3, window: 60)
        var bucket = TokenBucket(limit: limit, at: Self.start)

        let first = (0..<3).map { _ in bucket.take(limit, at: Self.start) }
        let refused = bucket.take(limit, at: Self.start.addingTimeInterval(5))
        let back = bucket.take(limit, at: Self.start.addingTimeInterval(20))
        let againRefused = bucket.take(limit, at: Self.start.addingTimeInterval(20))

        #expect(first == [.allowed, .allowed, .allowed])
        #expect(refused == .refused(retryAfter: 15))
        #expect(back == .allowed)
        #expect(againRefused == .refused(retryAfter: 20))
    }

    @Test("asking without consuming changes nothing; a full bucket is idle; a clock that goes back refills nothing")
    func peekAndIdle() {
        let limit = RateLimit(name: "form", count: 2, window: 10)
        var bucket = TokenBucket(limit: limit, at: Self.start)

        let peeks = (0..<5).map { _ in bucket.take(limit, at: Self.start, consume: false) }
        _ = bucket.take(limit, at: Self.start)
        _ = bucket.take(limit, at: Self.start)
        let backwards = bucket.take(limit, at: Self.start.addingTimeInterval(-100))

        #expect(peeks == Array(repeating: .allowed, count: 5))
        #expect(backwards == .refused(retryAfter: 5))
        #expect(!bucket.isIdle(limit, at: Self.start.addingTimeInterval(9)))
        #expect(bucket.isIdle(limit, at: Self.start.addingTimeInterval(10)))
    }

    @Test("without trusted proxies the peer is the client, whatever X-Forwarded-For says")
    func untrustedPeer() throws {
        let proxies = try TrustedProxies(parsing: [])

        #expect(proxies.client(peer: "203.0.113.5", forwardedFor: ["198.51.100.1"]) == "203.0.113.5")
        #expect(proxies.client(peer: nil, forwardedFor: ["198.51.100.1"]) == nil)
    }

    @Test("behind trusted proxies the right-most address that is not one of them is the client")
    func trustedChain() throws {
        let proxies = try TrustedProxies(parsing: ["10.0.0.0/8", "127.0.0.1", "fd00::/8"])

        // The client wrote 1.1.1.1 itself; the proxy appended what it saw.
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: ["1.1.1.1, 198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["198.51.100.7", "10.9.9.9"]) == "198.51.100.7")
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: ["[2001:db8::1]:443"]) == "2001:db8::1")
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: []) == "10.1.2.3")
        #expect(proxies.client(peer: "10.1.2.3", forwardedFor: ["10.0.0.9, 10.0.0.8"]) == "10.0.0.9")
        #expect(proxies.client(peer: "::ffff:127.0.0.1", forwardedFor: ["198.51.100.9"]) == "198.51.100.9")
        // A peer outside the list is believed about nothing.
        #expect(proxies.client(peer: "198.51.100.66", forwardedFor: ["198.51.100.7"]) == "198.51.100.66")
    }

    @Test("a trusted proxy must be an address or a network", arguments: ["proxy.example", "10.0.0.0/33", "300.1.1.1", "10.0.0.0/x"])
    func badProxy(entry: String) {
        #expect(throws: TrustedProxyError.self) { try TrustedProxies(parsing: [entry]) }
    }

    @Test("IPv6 clients are limited by their /64, mapped IPv4 by its IPv4 address")
    func limitKeys() {
        #expect(ClientAddress.limitKey("198.51.100.7") == "198.51.100.7")
        #expect(ClientAddress.limitKey("::ffff:198.51.100.7") == "198.51.100.7")
        #expect(ClientAddress.limitKey("2001:db8:1:2:aaaa::1") == ClientAddress.limitKey("2001:db8:1:2:bbbb::2"))
        #expect(ClientAddress.limitKey("2001:db8:1:2::1") != ClientAddress.limitKey("2001:db8:1:3::1"))
        #expect(ClientAddress.limitKey("2001:db8:1:2::1") == "2001:db8:1:2::/64")
    }
}
