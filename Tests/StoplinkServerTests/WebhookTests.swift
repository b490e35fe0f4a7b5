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
import Synchronization
import Testing

@Suite("Webhooks out", .serialized)
struct WebhookTests {
    func optOut(_ fixture: APIFixture, _ phone: String) async throws {
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: PhoneNumber(trustedE164: phone), scope: .marketing, source: .api,
            occurredAt: fixture.base.clock.now()
        ))
    }

    func verified(_ message: WebhookReceiver.Received, secret: String, now: Date) -> Bool {
        WebhookSignature.verify(
            header: message.signature, id: message.id, timestamp: Int(message.timestamp) ?? 0, body: message.body,
            secret: secret, now: now
        )
    }

    @Test("Each event is delivered once per endpoint, signed; a failure holds the endpoint until its retry")
    func orderAndRetry() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver()
        receiver.script([.init(status: .internalServerError)], phone: "+31611111111")
        let dispatcher = fixture.base.dependencies.webhooks

        try await receiver.run { url in
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.base.clock.now()
            )
            for phone in ["+31611111111", "+31622222222", "+31633333333"] { try await optOut(fixture, phone) }

            let first = await dispatcher.runOnce()
            let waiting = await dispatcher.runOnce()
            let afterFailure = try await fixture.store.deliveries(endpointID: endpoint.id, limit: 10)
            fixture.base.clock.advance(by: 6)
            let resumed = await dispatcher.runOnce()
            let done = try await fixture.store.deliveries(endpointID: endpoint.id, limit: 10)

            #expect(first == 3, "three numbers, sent at once")
            #expect(waiting == 0, "nothing is due until the retry time")
            let head = try #require(afterFailure.last)
            #expect(head.status == .pending)
            #expect(head.lastStatusCode == 500)
            #expect(head.attempts == 1)
            let wait = try #require(head.nextAttemptAt).timeIntervalSince(fixture.base.clock.now().addingTimeInterval(-6))
            #expect(wait >= 4.5 && wait <= 5.5)
            #expect(resumed == 1)
            #expect(done.allSatisfy { $0.status == .succeeded })
            let ids = receiver.received.map(\.id)
            #expect(ids.count == 4)
            #expect(Set(ids.prefix(3)) == Set([1, 2, 3].map(dispatcher.eventIDs.id(ofSeq:))))
            #expect(ids.last == dispatcher.eventIDs.id(ofSeq: 1), "one id per event, the same on every attempt")
            #expect(ids.allSatisfy { $0.wholeMatch(of: /evt_[0-9a-f]{32}/) != nil }, "opaque, not the sequence shared by all companies")
            for message in receiver.received {
                #expect(verified(message, secret: endpoint.secret, now: fixture.base.clock.now()))
                let payload = try #require(try JSONSerialization.jsonObject(with: message.body) as? [String: Any])
                #expect(payload["type"] as? String == "optout.created")
                #expect(payload["id"] as? String == message.id)
                #expect((payload["data"] as? [String: Any])?["phone"] != nil)
            }
        }
    }

    @Test("Retry-After sets the next attempt; 410 disables the endpoint; after the last retry a delivery fails")
    func retryAfterGoneAndGiveUp() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver()
        let dispatcher = fixture.base.dependencies.webhooks

        try await receiver.run { url in
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.base.clock.now()
            )
            receiver.script([.init(status: .serviceUnavailable, retryAfter: "120")])
            try await optOut(fixture, "+31611111111")
            await dispatcher.runOnce()
            let afterRetryAfter = try #require(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 1).first)
            #expect(afterRetryAfter.nextAttemptAt == fixture.base.clock.now().addingTimeInterval(120))

            receiver.script(Array(repeating: .init(status: .badGateway), count: 20))
            for _ in 0..<9 {
                fixture.base.clock.advance(by: 11 * 3600)
                await dispatcher.runOnce()
            }
            let givenUp = try #require(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 1).first)
            #expect(givenUp.status == .failed)
            #expect(givenUp.attempts == 8)

            receiver.script([.init(status: .gone)])
            try await optOut(fixture, "+31622222222")
            await dispatcher.runOnce()
            try await optOut(fixture, "+31633333333")
            let disabled = try #require(try await fixture.store.endpoint(id: endpoint.id, companyID: fixture.company.id))
            #expect(!disabled.enabled)
            #expect(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 10).count == 2, "no delivery for a disabled endpoint")
        }
    }

    @Test("Retry-After as seconds or as an HTTP date counts from the dispatcher's clock; nan, inf, junk are ignored")
    func retryAfterValues() throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))  // Fri, 15 Jan 2027 08:00:00 GMT
        let now = clock.now()

        let seconds = WebhookDispatcher.retryAfterSeconds(" 120 ", now: now)
        let date = WebhookDispatcher.retryAfterSeconds("Fri, 15 Jan 2027 08:10:00 GMT", now: now)
        let pastDate = WebhookDispatcher.retryAfterSeconds("Fri, 15 Jan 2027 07:00:00 GMT", now: now)
        let unreadable = ["nan", "inf", "-inf", "soon", ""].map { WebhookDispatcher.retryAfterSeconds($0, now: now) }

        #expect(seconds == 120)
        #expect(date == 600)
        #expect(pastDate == -3600)
        #expect(unreadable.allSatisfy { $0 == nil })
    }

    @Test("The next attempt honours Retry-After within one second and one day, whatever the answer says", arguments: [
        (120.0, 120.0), (600, 600), (-3600, 1), (0, 1), (1e300, 86_400), (Double.nan, nil), (Double.infinity, nil),
    ] as [(Double, Double?)])
    func retryTimes(retryAfter: Double, expected: Double?) throws {
        let clock = ManualClock()
        let dispatcher = WebhookDispatcher(
            store: try SQLiteStore(writer: DatabaseQueue()), clock: clock, allowInsecure: true, eventIDs: WebhookEventID(secret: Data()),
            logger: Logger(label: "test"), pollInterval: nil
        )

        let next = try #require(dispatcher.retryTime(afterAttempt: 1, retryAfter: retryAfter))

        let delay = next.timeIntervalSince(clock.now())
        if let expected {
            #expect(delay == expected)
        } else {
            #expect(delay >= 4.5 && delay <= 5.5, "an unreadable value falls back to the schedule")
        }
    }

    @Test("A payload that cannot be encoded is an error, never an empty body to sign and send")
    func unencodablePayload() {
        struct Broken: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(0, .init(codingPath: [], debugDescription: "cannot be written"))
            }
        }

        #expect(throws: EncodingError.self) {
            try WebhookPayload.encode(id: "msg_1", type: "optout.created", at: Date(), data: Broken())
        }
    }

    @Test("Deliveries pending at shutdown are sent after a restart")
    func survivesRestart() async throws {
        let fixture = try await APIFixture(database: .sqlite)
        let receiver = WebhookReceiver()
        let path = fixture.base.folder.appendingPathComponent("stoplink.sqlite").path

        try await receiver.run { url in
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.base.clock.now()
            )
            try await optOut(fixture, "+31611111111")
            try await optOut(fixture, "+31622222222")

            let reopened = try SQLiteStore.open(path: path)
            let dispatcher = WebhookDispatcher(
                store: reopened, clock: fixture.base.clock, allowInsecure: true, eventIDs: fixture.base.dependencies.webhooks.eventIDs,
                logger: Logger(label: "test")
            )
            let sent = await dispatcher.runOnce()

            #expect(sent == 2)
            #expect(Set(receiver.received.map(\.id)) == Set([1, 2].map(dispatcher.eventIDs.id(ofSeq:))))
            #expect(receiver.received.count == 2)
            #expect(try await reopened.deliveries(endpointID: endpoint.id, limit: 10).allSatisfy { $0.status == .succeeded })
        }
    }

    @Test("The API creates endpoints with a secret shown once, tests them, lists deliveries, retries and rotates secrets")
    func api() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver()

        try await receiver.run { url in
            try await fixture.application().test(.router) { client in
                let created = try await client.api(.post, "/api/v1/webhooks", key: fixture.key, json: #"{"url": "\#(url)", "description": "CRM"}"#)
                let id = try #require(try json(created)["id"] as? String)
                let secret = try #require(try json(created)["secret"] as? String)
                let listed = try await client.api(.get, "/api/v1/webhooks", key: fixture.key)
                let tested = try await client.api(.post, "/api/v1/webhooks/\(id)/test", key: fixture.key)
                _ = try await client.optOut(code: fixture.base.link.code, phone: Fixture.phone)
                receiver.script([.init(status: .internalServerError)])
                await fixture.base.dependencies.webhooks.runOnce()
                let log = try await client.api(.get, "/api/v1/webhooks/\(id)/deliveries", key: fixture.key)
                let deliveryID = try #require((try json(log)["deliveries"] as? [[String: Any]])?.first?["id"] as? Int)
                let retried = try await client.api(.post, "/api/v1/webhooks/\(id)/deliveries/\(deliveryID)/retry", key: fixture.key)
                await fixture.base.dependencies.webhooks.runOnce()
                let rotated = try await client.api(.post, "/api/v1/webhooks/\(id)/rotate-secret", key: fixture.key)
                let newSecret = try #require(try json(rotated)["secret"] as? String)
                _ = try await client.api(.put, "/api/v1/suppressions/%2B31699999999", key: fixture.key, json: "{}")
                await fixture.base.dependencies.webhooks.runOnce()
                let foreign = try await client.api(.get, "/api/v1/webhooks/\(id)/deliveries", key: fixture.otherKey)
                let insecure = try await client.api(.post, "/api/v1/webhooks", key: fixture.key, json: #"{"url": "http://example.com/hook"}"#)
                let badType = try await client.api(.post, "/api/v1/webhooks", key: fixture.key, json: #"{"url": "\#(url)", "event_types": ["nope"]}"#)

                #expect(created.status == .created)
                #expect(secret.hasPrefix("whsec_"))
                #expect(try WebhookSignature.key(of: secret).count == 32)
                #expect(!text(listed).contains(secret))
                #expect(try json(tested)["delivered"] as? Bool == true)
                #expect(try json(log)["deliveries"].map { ($0 as? [[String: Any]])?.first?["status"] as? String } == "pending")
                #expect(retried.status == .ok)
                #expect(newSecret != secret)
                let messages = receiver.received
                #expect(messages.count == 4)
                #expect(messages.first?.id.hasPrefix("msg_test_") == true)
                let last = try #require(messages.last)
                #expect(last.signature.split(separator: " ").count == 2, "both secrets sign during the overlap")
                #expect(verified(last, secret: newSecret, now: fixture.base.clock.now()))
                #expect(verified(last, secret: secret, now: fixture.base.clock.now()))
                #expect(foreign.status == .notFound)
                #expect(insecure.status == .unprocessableContent)
                #expect(badType.status == .unprocessableContent)
            }
        }
    }

    @Test("Without the development flag, only https to public addresses is accepted", arguments: [
        ("http://example.com/hook", false), ("https://127.0.0.1/hook", false), ("https://10.1.2.3/hook", false),
        ("https://169.254.169.254/latest", false), ("https://[::1]/hook", false), ("https://user:pw@1.1.1.1/hook", false),
        ("https://[::127.0.0.1]/hook", false), ("https://[::169.254.169.254]/latest", false), ("https://[::ffff:7f00:1]/hook", false),
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", false), ("https://[64:ff9b::a9fe:a9fe]/hook", false),
        ("https://[2002:a9fe:a9fe::1]/hook", false), ("https://100.64.0.1/hook", false), ("https://2130706433/hook", false),
        ("https://1.1.1.1/hook", true), ("https://[2606:4700:4700::1111]/hook", true),
    ])
    func urlPolicy(url: String, accepted: Bool) async {
        let policy = WebhookURLPolicy(allowInsecure: false)

        let problem = await policy.problem(with: url)

        #expect((problem == nil) == accepted, "\(url): \(problem ?? "accepted")")
    }

    @Test("Every address a host resolves to is checked: one special-purpose address refuses the URL")
    func everyResolvedAddress() async {
        let policy = WebhookURLPolicy(allowInsecure: false) { _ in ["93.184.215.14", "::ffff:169.254.169.254"] }

        let verdict = await policy.check("https://hooks.stoplink.test/hook")

        #expect(verdict == .refused("the host resolves to ::ffff:169.254.169.254, a special-purpose address (IPv4-mapped link-local)"))
    }

    @Test("A send connects to the address that was checked, after one lookup, and names the URL's host")
    func pinnedToCheckedAddress() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver()
        let lookups = Mutex<[String]>([])
        // A rebinding name: the checked answer is the receiver, any later answer somewhere else.
        let policy = WebhookURLPolicy(allowInsecure: true) { host in
            lookups.withLock { seen in
                seen.append(host)
                return seen.count == 1 ? ["127.0.0.1"] : ["192.0.2.1"]
            }
        }
        let dispatcher = WebhookDispatcher(
            store: fixture.store, clock: fixture.base.clock, policy: policy, eventIDs: fixture.base.dependencies.webhooks.eventIDs,
            logger: Logger(label: "test"), pollInterval: nil
        )

        try await receiver.run { url in
            let port = try #require(URL(string: url)?.port)
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: "http://hooks.stoplink.test:\(port)/hook", description: "", eventTypes: [],
                at: fixture.base.clock.now()
            )
            try await optOut(fixture, "+31611111111")
            try await optOut(fixture, "+31622222222")

            let sent = await dispatcher.runOnce()

            #expect(sent == 2)
            #expect(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 10).allSatisfy { $0.status == .succeeded })
            #expect(receiver.received.map(\.host) == Array(repeating: "hooks.stoplink.test:\(port)", count: 2))
            #expect(lookups.withLock { $0 } == ["hooks.stoplink.test"])
        }
    }
}
