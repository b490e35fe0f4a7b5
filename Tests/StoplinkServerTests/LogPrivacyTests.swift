import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

@Suite("What the server logs")
struct LogPrivacyTests {
    /// Log lines (message or a metadata value) holding one of `secrets`, a full number of
    /// `numbers` (E.164 or its digits), or anything shaped like a key or a webhook secret.
    func leaks(in logs: CapturedLogs, secrets: [String], numbers: [String]) -> [String] {
        let needles = secrets.filter { !$0.isEmpty } + numbers.flatMap { [$0, String($0.dropFirst())] }
        let shapes = [#/sk_[A-Za-z0-9]{6,}/#, #/whsec_[A-Za-z0-9+\/=]{6,}/#]
        return logs.lines.compactMap { line in
            let texts = [line.message] + line.metadata.values
            let leaked = texts.contains { text in
                needles.contains { text.contains($0) } || shapes.contains { text.contains($0) }
            }
            return leaked ? "\(line.level) \(line.message) \(line.metadata)" : nil
        }
    }

    @Test("Landing, API and inbound flows log no full number, key, secret or form token; a 500 names its route")
    func noSecretsInLogs() async throws {
        let fixture = try await InboundFixture()
        let base = fixture.api.base
        let code = base.link.code
        let numbers = [Fixture.phone, "+31622222222", "+31633333333", "+31644444444", "+447911123456", "+14155550134"]
        var secrets = [fixture.api.key, fixture.api.otherKey, fixture.secret, InboundFixture.token]

        secrets += try await base.application().test(.router) { client in
            var seen: [String] = []
            // The recipient's page: a wrong number, the right one, the done page, an unknown code.
            let page = try await client.open("/\(code)")
            let token = try #require(formToken(in: page))
            seen.append(token)
            _ = try await client.post("/\(code)", fields: [("token", token), ("phone", "+31622222222")])
            _ = try await client.post("/\(code)", fields: [("token", token), ("phone", "06 1234 5678")])
            _ = try await client.open("/\(code)/done")
            _ = try await client.open("/zzzzzzzzzz")
            _ = try await client.post("/\(code)", fields: [("token", "forged"), ("phone", Fixture.phone)])

            // The API: keys, webhook and inbound secrets, numbers in paths, wrong keys.
            let key = try json(try await client.api(.post, "/api/v1/keys", key: fixture.api.key, json: #"{"name": "ci"}"#))["key"] as? String
            seen.append(try #require(key))
            let hook = try await client.api(.post, "/api/v1/webhooks", key: fixture.api.key, json: #"{"url": "http://127.0.0.1:9/hook"}"#)
            seen.append(try #require(try json(hook)["secret"] as? String))
            let inbound = try await client.api(.post, "/api/v1/inbound/secret", key: fixture.api.key)
            let inboundSecret = try #require(try json(inbound)["secret"] as? String)
            seen.append(inboundSecret)
            for phone in ["%2B31612345678", "%2B31633333333", "0612345678", "not-a-number"] {
                _ = try await client.api(.get, "/api/v1/suppressions/\(phone)", key: fixture.api.key)
            }
            _ = try await client.api(.put, "/api/v1/suppressions/%2B31644444444", key: fixture.api.key, json: "{}")
            _ = try await client.api(.delete, "/api/v1/suppressions/%2B31644444444", key: fixture.api.key, json: #"{"evidence": "asked by phone"}"#)
            _ = try await client.api(.get, "/api/v1/suppressions/%2B31612345678", key: "sk_wrongwrongwrongwrong")
            _ = try await client.api(.post, "/api/v1/numbers", key: fixture.api.key, json: #"{"number": "+447911123456"}"#)
            _ = try await client.api(.delete, "/api/v1/numbers/%2B447911123456", key: fixture.api.key)
            _ = try await client.api(.post, "/api/v1/check", key: fixture.api.key, json: #"{"phones": ["+31612345678", "+31633333333"]}"#)
            _ = try await client.api(.post, "/api/v1/campaigns/spring-sale/links", key: fixture.api.key, json: #"{"recipients": ["+31633333333", "junk"]}"#)
            _ = try await client.api(.get, "/api/v1/feed.ndjson", key: fixture.api.key)
            await base.dependencies.webhooks.runOnce()

            // Inbound: Twilio and generic, signed, badly signed, to an unknown number.
            _ = try await client.twilio(sms("STOP", from: "+14155550134", sid: "SM1"))
            _ = try await client.twilio(sms("STOP", from: "+14155550134", sid: "SM2"), sign: false)
            _ = try await client.twilio(sms("STOP", from: "+14155550134", to: "+3197099999999", sid: "SM3"))
            let now = base.clock.now()
            let message = #"{"id": "g1", "from": "+31633333333", "to": "+3197010000000", "text": "stop please?"}"#
            _ = try await client.generic(message, secret: inboundSecret, id: "w1", timestamp: now)
            _ = try await client.generic(message, secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString(), id: "w2", timestamp: now)
            return seen
        }

        let found = leaks(in: base.logs, secrets: secrets, numbers: numbers)

        #expect(base.logs.lines.count > 10, "the capturing logger saw the requests")
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test("An unexpected error is logged at error level with the route pattern, method and status, never the path")
    func failuresNameTheRoute() async throws {
        let fixture = try await APIFixture(database: .sqlite)
        // The store breaks under the server: its table is gone.
        let path = fixture.base.folder.appendingPathComponent("stoplink.sqlite").path
        try await DatabaseQueue(path: path).write { db in try db.execute(sql: "DROP TABLE suppressions") }

        let response = try await fixture.application().test(.router) { client in
            try await client.api(.get, "/api/v1/suppressions/%2B31612345678", key: fixture.key)
        }

        #expect(response.status == .internalServerError)
        let failure = try #require(fixture.base.logs.lines.first { $0.message == "request failed" })
        #expect(failure.level == .error)
        #expect(failure.metadata["route"]?.hasSuffix("suppressions/{phone}") == true)
        #expect(failure.metadata["method"] == "GET")
        #expect(failure.metadata["status"] == "500")
        #expect(leaks(in: fixture.base.logs, secrets: [fixture.key], numbers: [Fixture.phone]).isEmpty)
    }
}
