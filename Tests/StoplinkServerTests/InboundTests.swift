import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// The landing fixture's company with the SMS number +3197010000000, the short code 3611,
/// a Twilio auth token and an inbound secret.
struct InboundFixture {
    static let token = "twilio-auth-token"
    static let number = "+3197010000000"
    let api: APIFixture
    let secret: String

    init(policy: InboundPolicy = .review, configure: (inout AppConfig) -> Void = { _ in }) async throws {
        api = try await APIFixture(configure: configure)
        var company = api.company
        company.twilioAuthToken = Self.token
        company.inboundPolicy = policy
        company.keywords = ["opt_out": ["genoeg"]]
        try await api.store.updateCompany(company)
        _ = try await api.store.addNumber(companyID: company.id, number: Self.number, at: api.base.clock.now())
        _ = try await api.store.addNumber(companyID: company.id, number: "3611", at: api.base.clock.now())
        secret = try await api.store.rotateInboundSecret(companyID: company.id)
    }

    var clock: ManualClock { api.base.clock }

    func state(_ phone: String) async throws -> Suppression? {
        try await api.store.suppression(companyID: api.company.id, phone: PhoneNumber(trustedE164: phone))
    }
}

extension TestClientProtocol {
    /// A Twilio webhook, signed with `token` over the configured public URL.
    func twilio(_ fields: [(String, String)], token: String = InboundFixture.token, sign: Bool = true) async throws -> TestResponse {
        let signature = TwilioSignature.compute(authToken: token, url: "https://stp.example/inbound/twilio", parameters: fields)
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if sign { headers[HTTPField.Name("X-Twilio-Signature")!] = signature }
        return try await execute(uri: "/inbound/twilio", method: .post, headers: headers, body: ByteBuffer(string: formEncode(fields)))
    }

    func generic(_ json: String, secret: String, id: String = "msg_1", timestamp: Date) async throws -> TestResponse {
        let stamp = Int(timestamp.timeIntervalSince1970)
        let signature = try WebhookSignature.sign(id: id, timestamp: stamp, body: Data(json.utf8), secret: secret)
        return try await execute(
            uri: "/inbound/generic", method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("webhook-id")!: id,
                      HTTPField.Name("webhook-timestamp")!: String(stamp), HTTPField.Name("webhook-signature")!: signature],
            body: ByteBuffer(string: json)
        )
    }
}

func sms(_ text: String, from: String = "+31612345678", to: String = InboundFixture.number, sid: String) -> [(String, String)] {
    [("MessageSid", sid), ("From", from), ("To", to), ("Body", text), ("AccountSid", "AC123")]
}

@Suite("STOP replies in")
struct InboundTests {
    @Test("Twilio STOP opts out with source keyword and answers a confirmation in TwiML, in the number's language")
    func twilioStop() async throws {
        let fixture = try await InboundFixture()

        let response = try await fixture.api.application().test(.router) { client in
            try await client.twilio(sms("Stop", sid: "SM1"))
        }

        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("application/xml") == true)
        #expect(text(response).contains("<Response><Message>Acme: je bent afgemeld"))
        let state = try #require(try await fixture.state("+31612345678"))
        #expect(state.source == .keyword)
        #expect(state.scope == .marketing)
        let event = try #require(try await fixture.api.base.history().first)
        #expect(event.source == .keyword)
    }

    @Test("STOPALL opts out of everything; START opts back in with the message as evidence; HELP answers")
    func allStartHelp() async throws {
        let fixture = try await InboundFixture()

        try await fixture.api.application().test(.router) { client in
            let all = try await client.twilio(sms("STOPALL", from: "+14155550134", sid: "SM1"))
            #expect(text(all).contains("unsubscribed from all messages"))
            #expect(try await fixture.state("+14155550134")?.scope == .all)
            fixture.clock.advance(by: 60)
            let start = try await client.twilio(sms("start", from: "+14155550134", sid: "SM2"))
            #expect(text(start).contains("subscribed again"))
            #expect(try await fixture.state("+14155550134") == nil)
            let help = try await client.twilio(sms("HELP", from: "+14155550134", sid: "SM3"))
            #expect(text(help).contains("reply STOP"))
            let ignored = try await client.twilio(sms("thanks!", from: "+14155550134", sid: "SM4"))
            #expect(text(ignored).contains("<Response/>"))
        }
        let history = try await fixture.api.store.history(companyID: fixture.api.company.id, phone: PhoneNumber(trustedE164: "+14155550134"))
        #expect(history.map(\.action) == [.optOut, .optIn])
        #expect(history[1].evidence?.contains("start") == true)
    }

    @Test("A second STOP gets the confirmation again but no second ledger row; a replayed message id changes nothing")
    func repeatsAndReplays() async throws {
        let fixture = try await InboundFixture()

        try await fixture.api.application().test(.router) { client in
            let first = try await client.twilio(sms("STOP", sid: "SM1"))
            let second = try await client.twilio(sms("STOP", sid: "SM2"))
            fixture.clock.advance(by: 60)
            _ = try await client.twilio(sms("START", sid: "SM3"))
            let replayedStop = try await client.twilio(sms("STOP", sid: "SM1"))

            #expect(text(first) == text(second))
            #expect(text(replayedStop) == text(first), "a replay answers as the first time")
        }
        let history = try await fixture.api.base.history()
        #expect(history.map(\.action) == [.optOut, .optIn], "the replayed STOP did not undo the START")
        #expect(try await fixture.state(Fixture.phone) == nil)
    }

    @Test("A message id reused with another body answers 409 and records nothing; a true replay gets the first answer")
    func reusedMessageID() async throws {
        let fixture = try await InboundFixture()
        let stop = #"{"id": "a", "from": "+31612345678", "to": "+3197010000000", "text": "STOP"}"#
        let start = #"{"id": "a", "from": "+31612345678", "to": "+3197010000000", "text": "START"}"#

        let (first, reused, replayed, twilioFirst, twilioReused) = try await fixture.api.application().test(.router) { client in
            let first = try await client.generic(stop, secret: fixture.secret, id: "w1", timestamp: fixture.clock.now())
            let reused = try await client.generic(start, secret: fixture.secret, id: "w2", timestamp: fixture.clock.now())
            let replayed = try await client.generic(stop, secret: fixture.secret, id: "w3", timestamp: fixture.clock.now())
            let twilioFirst = try await client.twilio(sms("HELP", sid: "SM9"))
            let twilioReused = try await client.twilio(sms("START", sid: "SM9"))
            return (first, reused, replayed, twilioFirst, twilioReused)
        }

        #expect(first.status == .ok)
        #expect(reused.status == .conflict)
        #expect(try errorCode(reused) == "message_id_reused")
        #expect(replayed.status == .ok)
        #expect(text(replayed) == text(first))
        #expect(twilioFirst.status == .ok)
        #expect(twilioReused.status == .conflict)
        #expect(!text(twilioReused).contains("<Message>"), "no confirmation for a message that was not recorded")
        #expect(try await fixture.api.base.history().map(\.action) == [.optOut], "the START under a used id recorded nothing")
    }

    @Test("An old STOP that arrives after a newer START does not undo it")
    func staleStop() async throws {
        let fixture = try await InboundFixture()
        let now = fixture.clock.now()

        try await fixture.api.application().test(.router) { client in
            _ = try await client.generic(#"{"id": "a", "from": "+31612345678", "to": "+3197010000000", "text": "STOP", "received_at": "\#(APIJSON.timestamp(now.addingTimeInterval(-600)))"}"#, secret: fixture.secret, id: "w1", timestamp: now)
            _ = try await client.generic(#"{"id": "b", "from": "+31612345678", "to": "+3197010000000", "text": "START", "received_at": "\#(APIJSON.timestamp(now.addingTimeInterval(-60)))"}"#, secret: fixture.secret, id: "w2", timestamp: now)
            let late = try await client.generic(#"{"id": "c", "from": "+31612345678", "to": "+3197010000000", "text": "STOP", "received_at": "\#(APIJSON.timestamp(now.addingTimeInterval(-300)))"}"#, secret: fixture.secret, id: "w3", timestamp: now)

            #expect(try json(late)["action"] as? String == "ignored")
        }
        #expect(try await fixture.state(Fixture.phone) == nil)
    }

    @Test("Unclear replies go to the review queue with a deadline, and are applied or dismissed there")
    func reviewQueue() async throws {
        let fixture = try await InboundFixture()

        try await fixture.api.application().test(.router) { client in
            let unclear = try await client.generic(#"{"id": "a", "from": "+31612345678", "to": "3611", "text": "Stop texting me please"}"#, secret: fixture.secret, timestamp: fixture.clock.now())
            let other = try await client.generic(#"{"id": "b", "from": "+31687654321", "to": "3611", "text": "please remove me"}"#, secret: fixture.secret, id: "msg_2", timestamp: fixture.clock.now())
            let queue = try await client.api(.get, "/api/v1/inbound/review", key: fixture.api.key)
            let items = try #require(try json(queue)["items"] as? [[String: Any]])
            let firstID = try #require(items.first?["id"] as? Int)
            let secondID = try #require(items.last?["id"] as? Int)
            let applied = try await client.api(.post, "/api/v1/inbound/review/\(firstID)/apply", key: fixture.api.key)
            let dismissed = try await client.api(.post, "/api/v1/inbound/review/\(secondID)/dismiss", key: fixture.api.key)
            let again = try await client.api(.post, "/api/v1/inbound/review/\(firstID)/apply", key: fixture.api.key)
            let foreign = try await client.api(.get, "/api/v1/inbound/review", key: fixture.api.otherKey)

            #expect(try json(unclear)["action"] as? String == "review")
            #expect(try json(unclear)["reply"] is NSNull)
            #expect(try json(other)["action"] as? String == "review")
            #expect(items.count == 2)
            #expect(items.first?["text"] as? String == "Stop texting me please")
            let secondsLeft = try #require(items.first?["seconds_left"] as? Int)
            #expect(secondsLeft >= 13 * 86_400 && secondsLeft <= 15 * 86_400, "ten business days are two calendar weeks")
            #expect(applied.status == .ok)
            #expect(dismissed.status == .ok)
            #expect(again.status == .notFound)
            #expect((try json(foreign)["items"] as? [Any])?.isEmpty == true)
        }
        #expect(try await fixture.state("+31612345678")?.source == .keyword)
        #expect(try await fixture.state("+31687654321") == nil)
    }

    @Test("With inbound_policy apply, an unclear reply opts out at once; company words count")
    func applyPolicy() async throws {
        let fixture = try await InboundFixture(policy: .apply)

        try await fixture.api.application().test(.router) { client in
            let unclear = try await client.twilio(sms("Stop texting me please", sid: "SM1"))
            let own = try await client.twilio(sms("GENOEG", from: "+31687654321", sid: "SM2"))

            #expect(text(unclear).contains("<Message>"))
            #expect(text(own).contains("<Message>"))
        }
        #expect(try await fixture.state("+31612345678") != nil)
        #expect(try await fixture.state("+31687654321") != nil)
    }

    @Test("Message ids are deduplicated per company; a revoke-all company's STOP stops everything")
    func perCompanyAndScope() async throws {
        let fixture = try await InboundFixture()
        var company = fixture.api.company
        company.optOutScope = .all
        company.twilioAuthToken = InboundFixture.token
        company.keywords = [:]
        try await fixture.api.store.updateCompany(company)
        _ = try await fixture.api.store.addNumber(companyID: fixture.api.otherCompany.id, number: "+14155550000", at: fixture.clock.now())
        var other = fixture.api.otherCompany
        other.twilioAuthToken = InboundFixture.token
        try await fixture.api.store.updateCompany(other)

        try await fixture.api.application().test(.router) { client in
            _ = try await client.twilio(sms("STOP", sid: "SM1"))
            _ = try await client.twilio(sms("STOP", to: "+14155550000", sid: "SM1"))
        }

        #expect(try await fixture.state(Fixture.phone)?.scope == .all)
        let theirs = try await fixture.api.store.suppression(companyID: other.id, phone: PhoneNumber(trustedE164: Fixture.phone))
        #expect(theirs?.scope == .marketing, "the other company's message with the same id was processed too")
    }

    @Test("Unsigned requests answer 401 before any number is looked up, wrong signatures 403, unknown numbers 404; nothing is recorded")
    func refused() async throws {
        let fixture = try await InboundFixture()

        try await fixture.api.application().test(.router) { client in
            let unsigned = try await client.twilio(sms("STOP", sid: "SM1"), sign: false)
            let unsignedUnknown = try await client.twilio(sms("STOP", to: "+3197099999999", sid: "SM4"), sign: false)
            let unsignedGeneric = try await client.execute(
                uri: "/inbound/generic", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"id": "d", "from": "+31612345678", "to": "9999", "text": "STOP"}"#)
            )
            let wrongToken = try await client.twilio(sms("STOP", sid: "SM2"), token: "other")
            let unknown = try await client.twilio(sms("STOP", to: "+3197099999999", sid: "SM3"))
            let badGeneric = try await client.generic(#"{"id": "a", "from": "+31612345678", "to": "3611", "text": "STOP"}"#, secret: "whsec_" + Data(repeating: 1, count: 32).base64EncodedString(), timestamp: fixture.clock.now())
            let oldGeneric = try await client.generic(#"{"id": "b", "from": "+31612345678", "to": "3611", "text": "STOP"}"#, secret: fixture.secret, timestamp: fixture.clock.now().addingTimeInterval(-3600))
            let unknownGeneric = try await client.generic(#"{"id": "c", "from": "+31612345678", "to": "9999", "text": "STOP"}"#, secret: fixture.secret, timestamp: fixture.clock.now())

            #expect(unsigned.status == .unauthorized)
            #expect(unsignedUnknown.status == .unauthorized, "an unsigned request learns nothing about which numbers exist")
            #expect(unsignedGeneric.status == .unauthorized)
            #expect(try errorCode(unsignedGeneric) == "missing_signature")
            #expect(wrongToken.status == .forbidden)
            #expect(unknown.status == .notFound)
            #expect(badGeneric.status == .forbidden)
            #expect(oldGeneric.status == .forbidden)
            #expect(unknownGeneric.status == .notFound)
        }
        #expect(try await fixture.api.base.history().isEmpty)
    }

    @Test("Numbers are added once per company, listed, and removed; another company's number is a conflict")
    func numbers() async throws {
        let fixture = try await InboundFixture()

        try await fixture.api.application().test(.router) { client in
            let added = try await client.api(.post, "/api/v1/numbers", key: fixture.api.key, json: #"{"number": "+44 7911 123456"}"#)
            let taken = try await client.api(.post, "/api/v1/numbers", key: fixture.api.otherKey, json: #"{"number": "+447911123456"}"#)
            let invalid = try await client.api(.post, "/api/v1/numbers", key: fixture.api.key, json: #"{"number": "call me"}"#)
            let listed = try await client.api(.get, "/api/v1/numbers", key: fixture.api.key)
            let deleted = try await client.api(.delete, "/api/v1/numbers/3611", key: fixture.api.key)
            let foreignDelete = try await client.api(.delete, "/api/v1/numbers/%2B447911123456", key: fixture.api.otherKey)

            #expect(added.status == .created)
            #expect(try json(added)["number"] as? String == "+447911123456")
            #expect(taken.status == .conflict)
            #expect(try errorCode(taken) == "number_unavailable")
            #expect(!text(taken).contains("company"), "the answer names no owner")
            #expect(invalid.status == .unprocessableContent)
            #expect((try json(listed)["numbers"] as? [[String: String]])?.compactMap { $0["number"] } == ["+3197010000000", "+447911123456", "3611"])
            #expect(deleted.status == .noContent)
            #expect(foreignDelete.status == .notFound)
        }
    }
}
