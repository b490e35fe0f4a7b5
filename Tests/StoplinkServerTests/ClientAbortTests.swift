import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
@testable import StoplinkServer
import Testing

@Suite("Clients that break off their requests")
struct ClientAbortTests {
    /// Where a client breaks off: each request declares a longer body than it sends, then closes.
    enum Upload: String, CaseIterable, CustomTestStringConvertible {
        case form, inbound, json, csvStream

        var testDescription: String { rawValue }

        /// The route pattern the server logs, and the request's head and first part of its body.
        func request(code: String, key: String) -> (route: String, bytes: String) {
            let (method, path, route, type, auth, partial): (String, String, String, String, String, String)
            switch self {
            case .form:
                (method, path, route, type, auth, partial) = ("POST", "/\(code)", "{code}", "application/x-www-form-urlencoded", "", "token=1.abc&phone=%2B316")
            case .inbound:
                (method, path, route, type, auth, partial) = ("POST", "/inbound/generic", "inbound/generic", "application/json", "", #"{"id": "m1", "fr"#)
            case .json:
                (method, path, route, type, auth, partial) = ("POST", "/api/v1/check", "check", "application/json", key, #"{"phones": ["+316"#)
            case .csvStream:
                // The first line is whole, so the answer is already streaming when the body stops.
                (method, path, route, type, auth, partial) = ("POST", "/api/v1/campaigns/spring-sale/links", "campaigns/{ref}/links", "text/csv", key, "phone\n+31611111111\n+3162")
            }
            var head = "\(method) \(path) HTTP/1.1\r\nHost: stp.example\r\nContent-Type: \(type)\r\nContent-Length: 100000\r\n"
            head += "User-Agent: \(Browser.iPhone)\r\nSec-Fetch-Site: same-origin\r\n"
            if !auth.isEmpty { head += "Authorization: Bearer \(auth)\r\n" }
            // Signed (wrongly: the body never completes), so the body is read at all.
            if self == .inbound { head += "webhook-id: m1\r\nwebhook-timestamp: 1\r\nwebhook-signature: v1,AAAA\r\n" }
            return (route, head + "\r\n" + partial)
        }
    }

    /// Sends `bytes` to the live server on a fresh connection, then closes it.
    func sendAndClose(_ bytes: String, port: Int) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(string: bytes))
        }
    }

    /// The lines logged about `route`, once there is one (or none by the deadline: generous, as
    /// the suite runs hundreds of tests at once on two cores; a healthy run returns in milliseconds).
    func lines(about route: String, in logs: CapturedLogs, within limit: Duration = .seconds(120)) async throws -> [CapturedLogs.Line] {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let found = logs.lines.filter { $0.metadata["route"]?.hasSuffix(route) == true }
            if !found.isEmpty { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        return []
    }

    @Test("A client that closes mid-upload is logged below error level, with the route pattern", arguments: Upload.allCases)
    func closesMidUpload(upload: Upload) async throws {
        let fixture = try await APIFixture()
        let (route, bytes) = upload.request(code: fixture.base.link.code, key: fixture.key)

        let logged = try await fixture.application().test(.live) { client in
            try await sendAndClose(bytes, port: try #require(client.port))
            return try await lines(about: route, in: fixture.base.logs)
        }

        let line = try #require(logged.first, "nothing was logged about \(route)")
        #expect(line.level < .warning, "\(line.level) \(line.message)")
        #expect(line.metadata["method"] == "POST")
        let errors = fixture.base.logs.lines.filter { $0.level >= .error }
        #expect(errors.isEmpty, "\(errors.map { "\($0.level) \($0.message) \($0.metadata)" })")
    }

    @Test("A client that closes while a streamed answer is being written is logged below error level")
    func closesMidAnswer() async throws {
        let fixture = try await APIFixture()
        // Far more than the socket buffers hold, so writes are still going when the reset arrives.
        try await FeedTests().importNumbers(fixture, count: 20_000)
        let request = "GET /api/v1/feed.ndjson HTTP/1.1\r\nHost: stp.example\r\nAuthorization: Bearer \(fixture.key)\r\n\r\n"

        let logged = try await fixture.application().test(.live) { client in
            try await sendAndClose(request, port: try #require(client.port))
            return try await lines(about: "feed.ndjson", in: fixture.base.logs)
        }

        let line = try #require(logged.first, "nothing was logged about the feed")
        #expect(line.level < .warning, "\(line.level) \(line.message)")
        #expect(line.metadata["method"] == "GET")
        let errors = fixture.base.logs.lines.filter { $0.level >= .error }
        #expect(errors.isEmpty, "\(errors.map { "\($0.level) \($0.message) \($0.metadata)" })")
    }
}
