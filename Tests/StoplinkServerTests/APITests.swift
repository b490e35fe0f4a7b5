import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

@Suite("The sending-platform API")
struct APITests {
    // MARK: Keys

    @Test("Missing, malformed, unknown and revoked keys answer 401 with the error envelope")
    func authentication() async throws {
        let fixture = try await APIFixture()
        let revoked = try await fixture.store.createKey(companyID: fixture.company.id, name: "old", at: fixture.base.clock.now())
        _ = try await fixture.store.revokeKey(prefix: revoked.stored.prefix, companyID: nil, at: fixture.base.clock.now())
        let forged = String(fixture.key.prefix(11)) + String(repeating: "0", count: 24)

        try await fixture.application().test(.router) { client in
            for key in [nil, "nonsense", "sk_" + String(repeating: "a", count: 32), forged, revoked.key] {
                let response = try await client.api(.get, "/api/v1/company", key: key)
                #expect(response.status == .unauthorized, "key \(key ?? "none")")
                #expect(try errorCode(response) == "unauthorized")
            }
            let ok = try await client.api(.get, "/api/v1/company", key: fixture.key)
            #expect(ok.status == .ok)
            #expect(try json(ok)["name"] as? String == "Acme")
        }
        let prefix = try #require(APIKey.prefix(of: fixture.key))
        let used = try #require(try await fixture.store.key(prefix: prefix))
        #expect(used.lastUsedAt != nil)
    }

    @Test("Keys are created, listed without secrets, and revoked; another company's key answers 404")
    func keysAPI() async throws {
        let fixture = try await APIFixture()
        let otherPrefix = try #require(APIKey.prefix(of: fixture.otherKey))

        try await fixture.application().test(.router) { client in
            let created = try await client.api(.post, "/api/v1/keys", key: fixture.key, json: #"{"name": "ci"}"#)
            let newKey = try #require(try json(created)["key"] as? String)
            let listed = try await client.api(.get, "/api/v1/keys", key: fixture.key)
            let foreign = try await client.api(.delete, "/api/v1/keys/\(otherPrefix)", key: fixture.key)
            let newPrefix = try #require(APIKey.prefix(of: newKey))
            let revoked = try await client.api(.delete, "/api/v1/keys/\(newPrefix)", key: fixture.key)
            let afterRevoke = try await client.api(.get, "/api/v1/company", key: newKey)

            #expect(created.status == .created)
            #expect(newKey.hasPrefix("sk_") && newKey.count == 35)
            let keys = try #require(try json(listed)["keys"] as? [[String: Any]])
            #expect(keys.count == 2)
            #expect(!text(listed).contains(newKey))
            #expect(!text(listed).contains("hash"))
            #expect(foreign.status == .notFound)
            #expect(revoked.status == .ok)
            #expect(afterRevoke.status == .unauthorized)
        }
        #expect(try await fixture.store.key(prefix: otherPrefix)?.revokedAt == nil)
    }

    // MARK: Company

    @Test("Company settings are read and changed; the Twilio token is write-only")
    func companySettings() async throws {
        let fixture = try await APIFixture()
        let patch = #"""
            {"name": "Acme BV", "default_language": "nl", "opt_out_scope": "all", "inbound_policy": "apply",
             "reasons": [{"key": "price", "label": {"en": "Too expensive", "nl": "Te duur"}}, {"key": "other", "label": "Other"}],
             "page_text": {"nl": "Je krijgt niets meer van ons."}, "twilio_auth_token": "secret-token"}
            """#

        try await fixture.application().test(.router) { client in
            let changed = try await client.api(.patch, "/api/v1/company", key: fixture.key, json: patch)
            let read = try await client.api(.get, "/api/v1/company", key: fixture.key)
            let page = try await client.open("/\(fixture.base.link.code)?lang=nl")

            #expect(changed.status == .ok)
            let company = try json(read)
            #expect(company["name"] as? String == "Acme BV")
            #expect(company["opt_out_scope"] as? String == "all")
            #expect(company["twilio_auth_token_set"] as? Bool == true)
            #expect(!text(read).contains("secret-token"))
            #expect(text(page).contains("Te duur"))
            #expect(text(page).contains("Je krijgt niets meer van ons."))
        }
        #expect(try await fixture.store.company(id: fixture.company.id)?.twilioAuthToken == "secret-token")
    }

    @Test("Bad settings answer 422 naming every bad field and change nothing")
    func companySettingsRejected() async throws {
        let fixture = try await APIFixture()

        try await fixture.application().test(.router) { client in
            let invalid = try await client.api(
                .patch, "/api/v1/company", key: fixture.key,
                json: #"{"default_country": "XX", "default_language": "tlh", "name": "Changed"}"#
            )
            let unknown = try await client.api(.patch, "/api/v1/company", key: fixture.key, json: #"{"nmae": "typo"}"#)
            let notJSON = try await client.api(.patch, "/api/v1/company", key: fixture.key, json: "{name:")
            let wrongType = try await client.api(.patch, "/api/v1/company", key: fixture.key, json: #"{"name": 5}"#)

            #expect(invalid.status == .unprocessableContent)
            let error = try json(invalid)["error"] as? [String: Any]
            let details = try #require(error?["details"] as? [[String: Any]])
            let fields = details.compactMap { $0["field"] as? String }
            #expect(Set(fields) == ["default_country", "default_language"])
            #expect(unknown.status == .unprocessableContent)
            #expect(try errorCode(unknown) == "unknown_field")
            #expect(text(unknown).contains("nmae"))
            #expect(notJSON.status == .badRequest)
            #expect(wrongType.status == .unprocessableContent)
            #expect(text(wrongType).contains("name"))
        }
        #expect(try await fixture.store.company(id: fixture.company.id)?.name == "Acme")
    }

    // MARK: Campaigns

    @Test("Campaigns are created once, listed and read by ref")
    func campaigns() async throws {
        let fixture = try await APIFixture()

        try await fixture.application().test(.router) { client in
            let created = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: #"{"ref": "black-friday", "name": "Black Friday"}"#)
            let again = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: #"{"ref": "black-friday"}"#)
            let badRef = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: #"{"ref": "no spaces/please"}"#)
            let missingRef = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: #"{"name": "x"}"#)
            let list = try await client.api(.get, "/api/v1/campaigns", key: fixture.key)
            let one = try await client.api(.get, "/api/v1/campaigns/black-friday", key: fixture.key)
            let missing = try await client.api(.get, "/api/v1/campaigns/nope", key: fixture.key)

            #expect(created.status == .created)
            #expect(try json(created)["purpose"] as? String == "marketing")
            #expect(again.status == .conflict)
            #expect(try errorCode(again) == "campaign_exists")
            #expect(badRef.status == .unprocessableContent)
            #expect(missingRef.status == .unprocessableContent)
            #expect(text(missingRef).contains("ref"))
            #expect((try json(list)["campaigns"] as? [[String: Any]])?.compactMap { $0["ref"] as? String } == ["spring-sale", "black-friday"])
            #expect(try json(one)["name"] as? String == "Black Friday")
            #expect(missing.status == .notFound)
        }
    }

    // MARK: Links

    @Test("JSON issuing answers every input: links in E.164 and per-line errors; issuing again gives the same codes")
    func issueJSON() async throws {
        let fixture = try await APIFixture()
        let body = #"{"recipients": ["06 12345678", "not a number", "+49 151 23456789", "0612345678", ""]}"#

        try await fixture.application().test(.router) { client in
            let first = try await client.api(.post, "/api/v1/campaigns/spring-sale/links", key: fixture.key, json: body)
            let second = try await client.api(.post, "/api/v1/campaigns/spring-sale/links", key: fixture.key, json: body)

            #expect(first.status == .ok)
            let links = try #require(try json(first)["links"] as? [[String: String]])
            let errors = try #require(try json(first)["errors"] as? [[String: Any]])
            #expect(links.map { $0["phone"] } == ["+31612345678", "+4915123456789", "+31612345678"])
            #expect(links[0]["code"] == fixture.base.link.code, "the fixture's link is issued again, not a new one")
            #expect(links[0]["url"] == "https://stp.example/\(fixture.base.link.code)")
            #expect(errors.compactMap { $0["line"] as? Int } == [2, 5])
            #expect(errors.first?["input"] as? String == "not a number")
            #expect(text(first) == text(second))
        }
    }

    @Test("CSV in, CSV out: one row per input line in order, BOM and CRLF accepted, formulas guarded")
    func issueCSV() async throws {
        let fixture = try await APIFixture()
        let body = "\u{FEFF}name,phone\r\nAnn,06 12345678\r\nBob,=HYPERLINK(\"x\")\r\n\"Cox, C.\",+1 415 555 0134\r\n"

        try await fixture.application().test(.router) { client in
            let response = try await client.csv("/api/v1/campaigns/spring-sale/links", key: fixture.key, body: body, accept: "text/csv")

            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
            let records = try CSVReader.records(of: Array(text(response).utf8))
            #expect(records.map(\.fields.count) == [5, 5, 5, 5])
            #expect(records[0].fields == ["line", "phone", "code", "url", "error"])
            #expect(records[1].fields[0...2] == ["2", "+31612345678", fixture.base.link.code])
            #expect(records[2].fields[0] == "3")
            #expect(records[2].fields[1].hasPrefix("'="))
            #expect(!records[2].fields[4].isEmpty)
            #expect(records[2].fields[2].isEmpty && records[2].fields[3].isEmpty)
            #expect(records[3].fields[1] == "+14155550134")
        }
    }

    @Test("A CSV without a phone column, with semicolons, or empty is refused with a clear 422 and issues nothing")
    func issueCSVRejected() async throws {
        let fixture = try await APIFixture()

        try await fixture.application().test(.router) { client in
            let noPhone = try await client.csv("/api/v1/campaigns/spring-sale/links", key: fixture.key, body: "name,email\nAnn,ann@example.com\n")
            let semicolons = try await client.csv("/api/v1/campaigns/spring-sale/links", key: fixture.key, body: "name;phone\nAnn;+31687654321\n")
            let empty = try await client.csv("/api/v1/campaigns/spring-sale/links", key: fixture.key, body: "")
            let garbage = try await client.csv(
                "/api/v1/campaigns/spring-sale/links", key: fixture.key,
                body: String(repeating: "\u{1}\u{2}garbage-without-newlines", count: 4_000)
            )

            #expect(noPhone.status == .unprocessableContent)
            #expect(try errorCode(noPhone) == "missing_phone_column")
            #expect(semicolons.status == .unprocessableContent)
            #expect(text(semicolons).contains("';'"))
            #expect(empty.status == .unprocessableContent)
            #expect(garbage.status == .unprocessableContent)
        }
        let stats = try await fixture.store.stats(campaign: fixture.base.campaign, reasonTextLimit: 1, reasonTextsBefore: nil)
        #expect(stats.links == 1)
    }

    @Test("A quote left open mid-file: lines before it are issued, the rest is reported as an error line")
    func issueCSVOpenQuote() async throws {
        let fixture = try await APIFixture()

        let response = try await fixture.application().test(.router) { client in
            try await client.csv("/api/v1/campaigns/spring-sale/links", key: fixture.key, body: "phone\n+31687654321\n\"+31611111111\n+31622222222\n")
        }

        #expect(response.status == .ok)
        let links = try #require(try json(response)["links"] as? [[String: String]])
        let errors = try #require(try json(response)["errors"] as? [[String: Any]])
        #expect(links.map { $0["phone"] } == ["+31687654321"])
        #expect(errors.first?["line"] as? Int == 3)
        #expect((errors.first?["reason"] as? String)?.contains("never closed") == true)
    }

    @Test("Over 100,000 JSON recipients answer 413; an unknown campaign 404; another content type 415")
    func issueLimits() async throws {
        let fixture = try await APIFixture()
        let tooMany = "{\"recipients\": [" + Array(repeating: "\"+31612345678\"", count: 100_001).joined(separator: ",") + "]}"

        try await fixture.application().test(.router) { client in
            let large = try await client.api(.post, "/api/v1/campaigns/spring-sale/links", key: fixture.key, json: tooMany)
            let unknown = try await client.api(.post, "/api/v1/campaigns/nope/links", key: fixture.key, json: #"{"recipients": []}"#)
            let xml = try await client.api(
                .post, "/api/v1/campaigns/spring-sale/links", key: fixture.key, json: "<x/>", headers: [.contentType: "application/xml"]
            )
            let oversized = try await client.api(
                .post, "/api/v1/check", key: fixture.key, json: "{\"phones\": [\"" + String(repeating: "1", count: 9 * 1024 * 1024) + "\"]}"
            )

            #expect(large.status == .contentTooLarge)
            #expect(unknown.status == .notFound)
            #expect(xml.status == .unsupportedMediaType)
            #expect(oversized.status == .contentTooLarge)
        }
    }

    // MARK: Check and suppressions

    @Test("Check: a marketing opt-out blocks marketing only; an all opt-out blocks a one-time code too")
    func check() async throws {
        let fixture = try await APIFixture()
        let now = fixture.base.clock.now()
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31612345678"), scope: .marketing, source: .link,
            campaignID: fixture.base.campaign.id, occurredAt: now
        ))
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31687654321"), scope: .all, source: .keyword, occurredAt: now
        ))
        let phones = #"["06 12345678", "06 87654321", "+31611111111", "nonsense"]"#

        try await fixture.application().test(.router) { client in
            let marketing = try await client.api(.post, "/api/v1/check", key: fixture.key, json: #"{"phones": \#(phones), "purpose": "marketing"}"#)
            let transactional = try await client.api(.post, "/api/v1/check", key: fixture.key, json: #"{"phones": \#(phones), "purpose": "transactional"}"#)

            let m = try #require(try json(marketing)["results"] as? [[String: Any]])
            let t = try #require(try json(transactional)["results"] as? [[String: Any]])
            #expect(m.map { $0["phone"] as? String } == ["+31612345678", "+31687654321", "+31611111111", "nonsense"])
            #expect(m.map { $0["allowed"] as? Bool } == [false, false, true, nil])
            #expect(m[0]["source"] as? String == "link")
            #expect(m[0]["campaign"] as? String == "spring-sale")
            #expect(m[0]["scope"] as? String == "marketing")
            #expect(m[0]["since"] as? String == APIJSON.timestamp(now))
            #expect(m[3]["error"] != nil)
            #expect(t.map { $0["allowed"] as? Bool } == [true, false, true, nil])
        }
    }

    @Test("Over 10,000 numbers in one check answer 413")
    func checkLimit() async throws {
        let fixture = try await APIFixture()
        let body = "{\"phones\": [" + Array(repeating: "\"+31612345678\"", count: 10_001).joined(separator: ",") + "]}"

        let response = try await fixture.application().test(.router) { client in
            try await client.api(.post, "/api/v1/check", key: fixture.key, json: body)
        }

        #expect(response.status == .contentTooLarge)
    }

    @Test("A number's state and history; PUT records an opt-out once; DELETE needs evidence and opts back in")
    func suppressions() async throws {
        let fixture = try await APIFixture()
        let path = "/api/v1/suppressions/%2B31612345678"

        try await fixture.application().test(.router) { client in
            let before = try await client.api(.get, path, key: fixture.key)
            let put = try await client.api(.put, path, key: fixture.key, json: #"{"scope": "all", "reason": "asked by phone"}"#)
            let putAgain = try await client.api(.put, "/api/v1/suppressions/0612345678", key: fixture.key, json: "{}")
            let noEvidence = try await client.api(.delete, path, key: fixture.key, json: "{}")
            let blankEvidence = try await client.api(.delete, path, key: fixture.key, json: #"{"evidence": "   "}"#)
            let optIn = try await client.api(.delete, path, key: fixture.key, json: #"{"evidence": "signed form 2026-11-20"}"#)
            let badNumber = try await client.api(.get, "/api/v1/suppressions/12", key: fixture.key)

            #expect(try json(before)["suppressed"] as? Bool == false)
            #expect((try json(before)["history"] as? [Any])?.isEmpty == true)
            #expect(put.status == .created)
            #expect(try json(put)["scope"] as? String == "all")
            #expect(putAgain.status == .ok)
            #expect(noEvidence.status == .unprocessableContent)
            #expect(text(noEvidence).contains("evidence"))
            #expect(blankEvidence.status == .unprocessableContent)
            #expect(optIn.status == .ok)
            let state = try json(optIn)
            #expect(state["suppressed"] as? Bool == false)
            let history = try #require(state["history"] as? [[String: Any]])
            #expect(history.map { $0["action"] as? String } == ["opt_out", "opt_in"])
            #expect(history[1]["evidence"] as? String == "signed form 2026-11-20")
            #expect(history[0]["source"] as? String == "api")
            #expect(history[0]["reason"] as? String == "asked by phone")
            #expect(badNumber.status == .unprocessableContent)
        }
    }

    @Test("Import counts added, already and rejected per line, and never opts anyone back in")
    func importOptOuts() async throws {
        let fixture = try await APIFixture()
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31612345678"), scope: .all, source: .link,
            occurredAt: fixture.base.clock.now()
        ))
        let csv = """
            phone,opted_out_at,reason
            06 12345678,2025-01-02,old list
            +31687654321,2025-03-04T10:00:00Z,=cmd
            not-a-number,,
            +31611111111,yesterday,
            0622222222,,

            """

        let response = try await fixture.application().test(.router) { client in
            try await client.csv("/api/v1/suppressions/import", key: fixture.key, body: csv)
        }

        #expect(response.status == .ok)
        let answer = try json(response)
        #expect(answer["added"] as? Int == 2)
        #expect(answer["already"] as? Int == 1)
        #expect((answer["rejected"] as? [[String: Any]])?.compactMap { $0["line"] as? Int } == [4, 5])
        let keptState = try await fixture.store.suppression(companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31612345678"))
        let kept = try #require(keptState)
        #expect(kept.scope == .all)
        #expect(kept.source == .link)
        let importedState = try await fixture.store.suppression(companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31687654321"))
        let imported = try #require(importedState)
        #expect(imported.source == .import)
        #expect(imported.since == Date(timeIntervalSince1970: 1_741_082_400))
    }

    // MARK: Stats

    @Test("Campaign stats count links, human and bot visits, opt-outs by source, reasons and days")
    func stats() async throws {
        let fixture = try await APIFixture()
        let code = fixture.base.link.code

        try await fixture.application().test(.router) { client in
            _ = try await client.api(.post, "/api/v1/campaigns/spring-sale/links", key: fixture.key, json: #"{"recipients": ["+31687654321", "+31611111111", "+31622222222"]}"#)
            _ = try await client.open("/\(code)", headers: [.userAgent: "WhatsApp/2.23"])
            _ = try await client.optOut(code: code, phone: Fixture.phone, reason: "too_many", reasonText: "=too many texts")
        }
        await fixture.base.dependencies.visits.flush()

        try await fixture.application().test(.router) { client in
            let response = try await client.api(.get, "/api/v1/campaigns/spring-sale/stats", key: fixture.key)
            let csv = try await client.api(.get, "/api/v1/stats.csv", key: fixture.key)

            let stats = try json(response)
            #expect(stats["links"] as? Int == 4)
            #expect(stats["human_visits"] as? Int == 1)
            #expect(stats["bot_visits"] as? Int == 1)
            #expect(stats["unique_visitors"] as? Int == 1)
            #expect(stats["opt_outs"] as? Int == 1)
            #expect((stats["opt_outs_by_source"] as? [String: Int])?["link"] == 1)
            #expect(stats["opt_out_rate"] as? Double == 0.25)
            #expect((stats["reasons"] as? [[String: Any]])?.first?["key"] as? String == "too_many")
            #expect((stats["reason_texts"] as? [[String: Any]])?.first?["text"] as? String == "=too many texts")
            #expect((stats["per_day"] as? [[String: Any]])?.first?["date"] as? String == "2027-01-15")
            let rows = try CSVReader.records(of: Array(text(csv).utf8))
            #expect(rows.first?.fields.first == "ref")
            #expect(rows.count == 2)
            #expect(rows[1].fields[0] == "spring-sale")
            #expect(rows[1].fields[8] == "1")
        }
    }

    // MARK: Idempotency

    @Test("Idempotency-Key: the same body replays the first answer; another body is refused")
    func idempotency() async throws {
        let fixture = try await APIFixture()
        let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "create-bf-1"]

        try await fixture.application().test(.router) { client in
            let first = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: #"{"ref": "bf"}"#, headers: key)
            let repeated = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: #"{"ref": "bf"}"#, headers: key)
            let changed = try await client.api(.post, "/api/v1/campaigns", key: fixture.key, json: #"{"ref": "bf2"}"#, headers: key)
            let otherCompany = try await client.api(.post, "/api/v1/campaigns", key: fixture.otherKey, json: #"{"ref": "bf"}"#, headers: key)

            #expect(first.status == .created)
            #expect(repeated.status == .created, "a replay, not a 409")
            #expect(text(repeated) == text(first))
            #expect(repeated.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(changed.status == .unprocessableContent)
            #expect(try errorCode(changed) == "idempotency_key_reused")
            #expect(otherCompany.status == .created, "keys are per company")
        }
        #expect(try await fixture.store.campaign(companyID: fixture.company.id, ref: "bf2") == nil)
    }

    @Test("An import by a revoke-all company widens a marketing-only opt-out, and never narrows one")
    func importWidens() async throws {
        let fixture = try await APIFixture()
        var company = fixture.company
        company.optOutScope = .all
        try await fixture.store.updateCompany(company)
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: company.id, phone: PhoneNumber(trustedE164: "+31612345678"), scope: .marketing, source: .link, occurredAt: fixture.base.clock.now()
        ))

        let response = try await fixture.application().test(.router) { client in
            try await client.csv("/api/v1/suppressions/import", key: fixture.key, body: "phone\n+31612345678\n")
        }

        #expect(try json(response)["added"] as? Int == 1)
        #expect(try await fixture.store.suppression(companyID: company.id, phone: PhoneNumber(trustedE164: "+31612345678"))?.scope == .all)
    }

    @Test("Import refuses a file without a phone column, a JSON body, and an empty body")
    func importRejected() async throws {
        let fixture = try await APIFixture()

        try await fixture.application().test(.router) { client in
            let noPhone = try await client.csv("/api/v1/suppressions/import", key: fixture.key, body: "msisdn;date\n+31612345678;2025-01-01\n")
            let empty = try await client.csv("/api/v1/suppressions/import", key: fixture.key, body: "")
            let asJSON = try await client.api(.post, "/api/v1/suppressions/import", key: fixture.key, json: #"{"phones": []}"#)

            #expect(noPhone.status == .unprocessableContent)
            #expect(try errorCode(noPhone) == "missing_phone_column")
            #expect(empty.status == .unprocessableContent)
            #expect(asJSON.status == .unsupportedMediaType)
        }
        #expect(try await fixture.store.suppression(companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31612345678")) == nil)
    }

    @Test("Stats paging parameters are checked, and free-text reasons page newest first")
    func statsPaging() async throws {
        let fixture = try await APIFixture()
        for (index, phone) in ["+31611111111", "+31622222222", "+31633333333"].enumerated() {
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: fixture.company.id, phone: PhoneNumber(trustedE164: phone), scope: .marketing, source: .link,
                campaignID: fixture.base.campaign.id, reasonText: "text \(index)", occurredAt: fixture.base.clock.now()
            ))
        }

        try await fixture.application().test(.router) { client in
            let badLimit = try await client.api(.get, "/api/v1/campaigns/spring-sale/stats?texts_limit=0", key: fixture.key)
            let badCursor = try await client.api(.get, "/api/v1/campaigns/spring-sale/stats?texts_before=abc", key: fixture.key)
            let first = try await client.api(.get, "/api/v1/campaigns/spring-sale/stats?texts_limit=2", key: fixture.key)
            let cursor = try #require(try json(first)["reason_texts_next"] as? String)
            let second = try await client.api(.get, "/api/v1/campaigns/spring-sale/stats?texts_limit=2&texts_before=\(cursor)", key: fixture.key)

            #expect(badLimit.status == .unprocessableContent)
            #expect(badCursor.status == .unprocessableContent)
            #expect((try json(first)["reason_texts"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["text 2", "text 1"])
            #expect((try json(second)["reason_texts"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["text 0"])
            #expect(try json(second)["reason_texts_next"] is NSNull)
        }
    }

    // MARK: Tenants

    @Test("Company A's key never sees company B's campaigns, numbers, keys or stats")
    func tenantIsolation() async throws {
        let fixture = try await APIFixture()
        let now = fixture.base.clock.now()
        let theirCampaign = try await fixture.store.createCampaign(companyID: fixture.otherCompany.id, ref: "theirs", name: "Theirs", purpose: .marketing, at: now)
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.otherCompany.id, phone: PhoneNumber(trustedE164: "+14155550134"), scope: .all, source: .api,
            campaignID: theirCampaign.id, occurredAt: now
        ))
        let theirPrefix = try #require(APIKey.prefix(of: fixture.otherKey))

        try await fixture.application().test(.router) { client in
            let notFound: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/v1/campaigns/theirs", nil),
                (.get, "/api/v1/campaigns/theirs/stats", nil),
                (.post, "/api/v1/campaigns/theirs/links", #"{"recipients": ["+31612345678"]}"#),
                (.delete, "/api/v1/keys/\(theirPrefix)", nil),
            ]
            for (method, path, body) in notFound {
                let response = try await client.api(method, path, key: fixture.key, json: body)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            let company = try await client.api(.get, "/api/v1/company", key: fixture.key)
            let campaigns = try await client.api(.get, "/api/v1/campaigns", key: fixture.key)
            let number = try await client.api(.get, "/api/v1/suppressions/%2B14155550134", key: fixture.key)
            let check = try await client.api(.post, "/api/v1/check", key: fixture.key, json: #"{"phones": ["+14155550134"]}"#)
            let keys = try await client.api(.get, "/api/v1/keys", key: fixture.key)
            let stats = try await client.api(.get, "/api/v1/stats.csv", key: fixture.key)

            #expect(try json(company)["id"] as? String == fixture.company.id)
            #expect(!text(campaigns).contains("theirs"))
            #expect(try json(number)["suppressed"] as? Bool == false)
            #expect((try json(number)["history"] as? [Any])?.isEmpty == true)
            #expect(((try json(check)["results"] as? [[String: Any]])?.first?["allowed"] as? Bool) == true)
            #expect(!text(keys).contains(theirPrefix))
            #expect(!text(stats).contains("theirs"))
        }
    }

    // MARK: Errors

    @Test("Unknown API paths answer a JSON 404, not the recipient's page")
    func unknownPath() async throws {
        let fixture = try await APIFixture()

        let response = try await fixture.application().test(.router) { client in
            try await client.api(.get, "/api/v1/nothing-here", key: fixture.key)
        }

        #expect(response.status == .notFound)
        #expect(try errorCode(response) == "not_found")
    }
}
