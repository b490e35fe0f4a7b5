import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

@Suite("Preparing outgoing messages")
struct MessagesTests {
    func prepare(_ fixture: APIFixture, _ body: String, accept: String? = nil) async throws -> TestResponse {
        try await fixture.application().test(.router) { client in
            var headers: HTTPFields = [:]
            if let accept { headers[.accept] = accept }
            return try await client.api(.post, "/api/v1/messages/prepare", key: fixture.key, json: body, headers: headers)
        }
    }

    func setRules(_ fixture: APIFixture, _ rules: MessageRules) async throws {
        var company = try #require(try await fixture.store.company(id: fixture.company.id))
        company.messageRules = rules
        try await fixture.store.updateCompany(company)
    }

    @Test("A Dutch number gets the localised link line with the same code the links endpoint issues")
    func dutchLink() async throws {
        let fixture = try await APIFixture()

        let response = try await prepare(fixture, #"{"campaign": "spring-sale", "to": "06 12345678", "text": "Sale! 20% off today."}"#)

        let answer = try json(response)
        let code = fixture.base.link.code
        #expect(answer["to"] as? String == "+31612345678")
        #expect(answer["line"] as? String == "Afmelden: https://stp.example/\(code)")
        #expect(answer["text"] as? String == "Sale! 20% off today.\nAfmelden: https://stp.example/\(code)")
        #expect(answer["code"] as? String == code)
        #expect(answer["encoding"] as? String == "GSM-7")
        #expect(answer["characters"] as? Int == 20 + 1 + 40)
        #expect(answer["segments"] as? Int == 1)
        #expect(answer["remaining"] as? Int == 99)
        #expect((answer["rule"] as? String)?.contains("link") == true)
    }

    @Test("France: STOP to the company's short code; without one, a link; the US: Reply STOP when a number takes replies")
    func destinationRules() async throws {
        let fixture = try await APIFixture()

        let frenchWithoutShortCode = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+33612345678", "text": "Promo"}"#))
        let usWithoutNumber = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+14155550134", "text": "Sale"}"#))
        try await setRules(fixture, MessageRules(countries: ["FR": .init(shortCode: "36111")]))
        _ = try await fixture.store.addNumber(companyID: fixture.company.id, number: "+14155550000", at: fixture.base.clock.now())
        let french = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+33612345678", "text": "Promo"}"#))
        let us = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+14155550134", "text": "Sale"}"#))
        let german = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+4915123456789", "text": "Sale"}"#))

        #expect((frenchWithoutShortCode["line"] as? String)?.hasPrefix("STOP: https://stp.example/") == true)
        #expect((usWithoutNumber["line"] as? String)?.hasPrefix("Stop: https://stp.example/") == true)
        #expect(french["line"] as? String == "STOP au 36111")
        #expect(french["link"] == nil)
        #expect(us["line"] as? String == "Reply STOP to opt out")
        #expect((us["rule"] as? String)?.hasPrefix("US default: keyword") == true)
        #expect((german["line"] as? String)?.hasPrefix("Abmelden: https://stp.example/") == true)
    }

    @Test("Company texts override per country and language; short links drop the scheme")
    func overrides() async throws {
        let fixture = try await APIFixture()
        try await setRules(fixture, MessageRules(
            shortLinks: true, countries: ["BE": .init(line: .link)],
            texts: ["link:nl": "Geen sms meer? {link}", "BE:fr": "Désabonnement {link}"]
        ))

        let dutch = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31612345678", "text": "Hoi"}"#))
        let belgian = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+32470123456", "text": "Salut"}"#))

        #expect(dutch["line"] as? String == "Geen sms meer? stp.example/\(fixture.base.link.code)")
        #expect((belgian["line"] as? String)?.hasPrefix("Désabonnement stp.example/") == true)
        #expect((belgian["rule"] as? String)?.contains("company text") == true)
    }

    @Test("Transactional messages get no line unless the company asks for one")
    func purposes() async throws {
        let fixture = try await APIFixture()

        let code = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31612345678", "text": "Your code is 123456", "purpose": "transactional"}"#))
        try await setRules(fixture, MessageRules(purposes: [.marketing, .transactional]))
        let asked = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31612345678", "text": "Your code is 123456", "purpose": "transactional"}"#))

        #expect(code["line"] == nil)
        #expect(code["text"] as? String == "Your code is 123456")
        #expect(asked["line"] != nil)
    }

    @Test("Preview issues no code and uses a placeholder of the same length")
    func preview() async throws {
        let fixture = try await APIFixture()

        let answer = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31687654321", "text": "Sale", "preview": true}"#))

        #expect(answer["line"] as? String == "Afmelden: https://stp.example/xxxxxxxxxx")
        let stats = try await fixture.store.stats(campaign: fixture.base.campaign, reasonTextLimit: 1, reasonTextsBefore: nil)
        #expect(stats.links == 1, "no link was issued for the previewed number")
    }

    @Test("Warnings: an opt-out already in the text, a character forcing UCS-2, a line causing another part")
    func warnings() async throws {
        let fixture = try await APIFixture()
        let long = String(repeating: "a", count: 140)

        let already = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31612345678", "text": "Sale. Reply STOP to stop"}"#))
        let emoji = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31612345678", "text": "Sale 😀"}"#))
        let longer = try json(try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31612345678", "text": "\#(long)"}"#))

        func codes(_ answer: [String: Any]) -> [String] { (answer["warnings"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? [] }
        #expect(codes(already) == ["opt_out_already_present"])
        #expect(codes(emoji) == ["ucs2"])
        #expect(((emoji["warnings"] as? [[String: Any]])?.first?["message"] as? String)?.contains("position 5") == true)
        #expect(emoji["encoding"] as? String == "UCS-2")
        #expect(codes(longer) == ["extra_segment"])
        #expect(longer["segments"] as? Int == 2)
    }

    @Test("The batch form answers every recipient, in JSON or CSV; bad requests are refused")
    func batch() async throws {
        let fixture = try await APIFixture()
        let body = #"{"campaign": "spring-sale", "recipients": ["+31612345678", "nonsense", "+33612345678"], "text": "Sale"}"#

        let answer = try json(try await prepare(fixture, body))
        let csv = try await prepare(fixture, body, accept: "text/csv")
        let both = try await prepare(fixture, #"{"campaign": "spring-sale", "to": "+31612345678", "recipients": [], "text": "x"}"#)
        let unknown = try await prepare(fixture, #"{"campaign": "nope", "to": "+31612345678", "text": "x"}"#)

        let results = try #require(answer["results"] as? [[String: Any]])
        #expect(results.map { $0["to"] as? String } == ["+31612345678", "nonsense", "+33612345678"])
        #expect(results[1]["error"] != nil)
        #expect(results[0]["code"] as? String == fixture.base.link.code)
        let rows = try CSVReader.records(of: Array(text(csv).utf8))
        #expect(rows.count == 4)
        #expect(rows[0].fields.first == "to")
        let csvIn = try await fixture.application().test(.router) { client in
            try await client.execute(
                uri: "/api/v1/messages/prepare?campaign=spring-sale&text=Sale%20today&preview=true", method: .post,
                headers: [.authorization: "Bearer \(fixture.key)", .contentType: "text/csv", .accept: "text/csv"],
                body: ByteBuffer(string: "name,phone\nAnn,+31612345678\nBob,+4915123456789\n")
            )
        }
        let csvRows = try CSVReader.records(of: Array(text(csvIn).utf8))
        #expect(csvRows.count == 3)
        #expect(csvRows[1].fields[1] == "Sale today\nAfmelden: https://stp.example/xxxxxxxxxx")
        #expect(csvRows[2].fields[1].hasSuffix("Abmelden: https://stp.example/xxxxxxxxxx"))
        #expect(both.status == .unprocessableContent)
        #expect(unknown.status == .notFound)
    }

    @Test("The CSV answer carries the text exactly as it will be sent; only the echoed input is guarded",
          arguments: ["=1+1 deals", "+50% off", "-20% today", "@home: sale"])
    func csvTextAsSent(text message: String) async throws {
        let fixture = try await APIFixture()
        let request: [String: Any] = ["campaign": "spring-sale", "recipients": ["+31612345678", "=nonsense"], "text": message, "preview": true]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)

        let answer = try json(try await prepare(fixture, body))
        let csv = try await prepare(fixture, body, accept: "text/csv")

        let sent = try #require((answer["results"] as? [[String: Any]])?.first?["text"] as? String)
        let rows = try CSVReader.records(of: Array(text(csv).utf8))
        #expect(rows.count == 3)
        #expect(sent.hasPrefix(message))
        #expect(rows[1].fields[1] == sent)
        #expect(rows[2].fields[0] == "'=nonsense", "the echoed input is a cell for spreadsheets")
    }
}
