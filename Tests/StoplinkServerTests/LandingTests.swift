import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

@Suite("The recipient's opt-out page")
struct LandingTests {
    @Test("A number typed in national form opts out, attributed to the campaign, with the reason")
    func happyPath() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            let page = try await client.open("/\(code)")
            let posted = try await client.optOut(code: code, phone: "06-12 34 56 78", reason: "too_many", reasonText: "  Too often  ")
            let done = try await client.open("/\(code)/done?lang=en")

            #expect(page.status == .ok)
            #expect(text(page).contains("Acme"))
            #expect(text(page).contains("•••••••78"))
            #expect(!text(page).contains("612345678"))
            #expect(posted.status == .seeOther)
            #expect(posted.headers[.location] == "/\(code)/done?lang=en")
            #expect(done.status == .ok)
            #expect(text(done).contains("You are opted out"))
        }

        let history = try await fixture.history()
        #expect(history.count == 1)
        let event = try #require(history.first)
        #expect(event.action == .optOut)
        #expect(event.source == .link)
        #expect(event.scope == .marketing)
        #expect(event.campaignRef == "spring-sale")
        #expect(event.reason == "too_many")
        #expect(event.reasonText == "Too often")
        #expect(try await fixture.store.suppression(companyID: fixture.company.id, phone: fixture.link.phone) != nil)
    }

    @Test("Many ways of writing the link's number are accepted", arguments: [
        "+31612345678", "0031612345678", "06 12345678", "(06) 1234-5678", "+31 (0)6 12 34 56 78", "06.12.34.56.78",
        "\u{FF10}\u{FF16}\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}\u{FF16}\u{FF17}\u{FF18}", "+31\u{00A0}6\u{00A0}12345678",
    ])
    func numberFormats(typed: String) async throws {
        let fixture = try await Fixture()

        let status = try await fixture.application().test(.router) { client in
            try await client.optOut(code: fixture.link.code, phone: typed).status
        }

        #expect(status == .seeOther)
        #expect(try await fixture.history().count == 1)
    }

    @Test("Submitting again changes nothing and shows the same confirmation")
    func idempotentResubmit() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code

        let (first, second) = try await fixture.application().test(.router) { client in
            let page = try await client.open("/\(code)")
            let token = try #require(formToken(in: page))
            let fields = [("token", token), ("phone", "0612345678")]
            let first = try await client.post("/\(code)", fields: fields)
            let second = try await client.post("/\(code)", fields: fields)
            return (first, second)
        }

        #expect(first.status == .seeOther)
        #expect(second.status == .seeOther)
        #expect(first.headers[.location] == second.headers[.location])
        #expect(try await fixture.history().count == 1)
    }

    @Test("A wrong number shows the form again without saying which digits differ")
    func wrongNumber() async throws {
        let fixture = try await Fixture()

        let response = try await fixture.application().test(.router) { client in
            try await client.optOut(code: fixture.link.code, phone: "06 12345670")
        }

        #expect(response.status == .unprocessableContent)
        #expect(text(response).contains("This is not the number the link was sent to"))
        #expect(text(response).contains("name=\"token\""))
        #expect(!text(response).contains("612345678"))
        #expect(try await fixture.history().isEmpty)
    }

    @Test("Five wrong numbers lock the link for 24 hours, and the lock then expires")
    func lockout() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for wrong in 0..<5 {
                statuses.append(try await client.optOut(code: code, phone: "0612345\(600 + wrong)").status)
            }
            let lockedPage = try await client.open("/\(code)")
            let rightNumberWhileLocked = try await client.post(
                "/\(code)", fields: [("token", FormToken(secret: Data(fixture.dependencies.secret.utf8)).issue(code: code, at: fixture.clock.now())),
                                     ("phone", Fixture.phone)]
            )
            fixture.clock.advance(by: 23 * 3600)
            let stillLocked = try await client.open("/\(code)")
            fixture.clock.advance(by: 3600 + 1)
            let unlocked = try await client.open("/\(code)")
            let optedOut = try await client.optOut(code: code, phone: Fixture.phone)

            #expect(statuses == [.unprocessableContent, .unprocessableContent, .unprocessableContent, .unprocessableContent, .tooManyRequests])
            #expect(lockedPage.status == .tooManyRequests)
            #expect(text(lockedPage).contains("This link is locked"))
            #expect(text(lockedPage).contains("STOP"))
            #expect(!text(lockedPage).contains("name=\"phone\""))
            #expect(rightNumberWhileLocked.status == .tooManyRequests)
            #expect(stillLocked.status == .tooManyRequests)
            #expect(unlocked.status == .ok)
            #expect(text(unlocked).contains("name=\"phone\""))
            #expect(optedOut.status == .seeOther)
        }
        #expect(try await fixture.history().count == 1)
    }

    @Test("Parallel guesses cannot slip past the lockout: at most five wrong numbers are tried, the number is never revealed")
    func parallelGuesses() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code
        let wrongNumbers = (0..<20).map { String(format: "+316200000%02d", $0) }

        try await fixture.application().test(.router) { client in
            let token = try #require(formToken(in: try await client.open("/\(code)")))
            func guess(_ phone: String) async throws -> TestResponse {
                try await client.post("/\(code)", fields: [("token", token), ("phone", phone)])
            }
            let first = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for phone in wrongNumbers { group.addTask { try await guess(phone) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // The right number arrives with more wrong ones, all at once, after the lock.
            let second = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                group.addTask { try await guess(Fixture.phone) }
                for phone in wrongNumbers.prefix(10) { group.addTask { try await guess(phone) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            let retryInvitations = first.filter { $0.status == .unprocessableContent }.count
            #expect(retryInvitations <= 4, "the fifth wrong number locks the link, whatever the order")
            #expect(first.allSatisfy { $0.status == .unprocessableContent || $0.status == .tooManyRequests })
            #expect(second.allSatisfy { $0.status == .tooManyRequests })
            for response in first + second {
                #expect(!text(response).contains("612345678"), "the page never shows the link's number")
            }
        }
        #expect(try await fixture.history().isEmpty)
    }

    @Test("A missing, forged, foreign or expired token is refused and records nothing")
    func forgedTokens() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code
        let otherCode = try #require(try await fixture.store.issueLinks(
            campaign: fixture.campaign, phones: [PhoneNumber(trustedE164: "+31687654321")], codeLength: 10, at: fixture.clock.now()
        ).first?.code)

        try await fixture.application().test(.router) { client in
            let missing = try await client.post("/\(code)", fields: [("phone", Fixture.phone)])
            let forged = try await client.post("/\(code)", fields: [("token", "1800000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ("phone", Fixture.phone)])
            let otherPage = try await client.open("/\(otherCode)")
            let foreign = try await client.post("/\(code)", fields: [("token", try #require(formToken(in: otherPage))), ("phone", Fixture.phone)])
            let page = try await client.open("/\(code)")
            let token = try #require(formToken(in: page))
            fixture.clock.advance(by: 4 * 3600 + 1)
            let expired = try await client.post("/\(code)", fields: [("token", token), ("phone", Fixture.phone)])

            for response in [missing, forged, foreign, expired] {
                #expect(response.status == .forbidden)
                #expect(text(response).contains("This form has expired"))
            }
        }
        #expect(try await fixture.history().isEmpty)
    }

    @Test("A post from another site is refused; Origin null (no-referrer) is left to the token")
    func crossSite() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            let page = try await client.open("/\(code)")
            let token = try #require(formToken(in: page))
            let fields = [("token", token), ("phone", Fixture.phone)]
            let crossSite = try await client.post("/\(code)", fields: fields, headers: [.secFetchSite: "cross-site"])
            let foreignOrigin = try await client.post("/\(code)", fields: fields, headers: [.origin: "https://evil.example"])

            #expect(crossSite.status == .forbidden)
            #expect(foreignOrigin.status == .forbidden)
            #expect(try await fixture.history().isEmpty)

            let nullOrigin = try await client.post("/\(code)", fields: fields, headers: [.origin: "null"])
            #expect(nullOrigin.status == .seeOther)
        }
        #expect(try await fixture.history().count == 1)
    }

    @Test("Link previews, scanners, prefetches and HEAD are counted as bots and change nothing")
    func botsChangeNothing() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            let agents = [
                "WhatsApp/2.23.20.0 A", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Mozilla/5.0 (compatible; Googlebot/2.1)",
            ]
            for agent in agents {
                #expect(try await client.open("/\(code)", headers: [.userAgent: agent]).status == .ok)
            }
            #expect(try await client.open("/\(code)", headers: [.secPurpose: "prefetch;prerender"]).status == .ok)
            #expect(try await client.open("/\(code)", headers: [.purpose: "prefetch"]).status == .ok)
            let head = try await client.execute(uri: "/\(code)", method: .head, headers: [.userAgent: Browser.iPhone])
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(try await client.open("/\(code)").status == .ok)
        }
        await fixture.dependencies.visits.flush()

        let counts = try await fixture.store.visitCounts(linkID: fixture.link.id)
        #expect(counts.bot == 7)
        #expect(counts.human == 1)
        #expect(try await fixture.history().isEmpty)
        #expect(try await fixture.store.suppression(companyID: fixture.company.id, phone: fixture.link.phone) == nil)
    }

    @Test("Every page carries the security headers", arguments: ["/CODE", "/CODE/done", "/0000000000", "/healthz"])
    func securityHeaders(path: String) async throws {
        let fixture = try await Fixture()

        let response = try await fixture.application().test(.router) { client in
            try await client.open(path.replacingOccurrences(of: "CODE", with: fixture.link.code))
        }

        let policy = try #require(response.headers[.contentSecurityPolicy])
        #expect(policy.contains("frame-ancestors 'none'"))
        #expect(policy.contains("default-src 'none'"))
        #expect(!policy.contains("script-src"))
        #expect(!policy.contains("unsafe-inline"))
        #expect(response.headers[.referrerPolicy] == "no-referrer")
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(response.headers[.xRobotsTag] == "noindex")
        #expect(response.headers[.xContentTypeOptions] == "nosniff")
    }

    @Test("Error answers thrown on the way in carry the security headers too", arguments: [
        ("GET", "/api/v1/company", false, 401), ("GET", "/api/v1/nope", true, 404), ("POST", "/inbound/generic", false, 413),
        ("POST", "/api/v1/campaigns", true, 422), ("GET", "/CODE", false, 200),
    ])
    func securityHeadersOnErrors(method: String, path: String, withKey: Bool, status: Int) async throws {
        let fixture = try await APIFixture()
        let body = method == "POST" ? (status == 413 ? String(repeating: "x", count: 65 * 1024) : #"{"nope": 1}"#) : nil

        let response = try await fixture.application().test(.router) { client in
            try await client.api(
                HTTPRequest.Method(method) ?? .get, path.replacingOccurrences(of: "CODE", with: fixture.base.link.code),
                key: withKey ? fixture.key : nil, json: body,
                // Gateways are refused unsigned before their body is read; these headers get it read.
                headers: path.hasPrefix("/inbound/")
                    ? [HTTPField.Name("webhook-id")!: "m1", HTTPField.Name("webhook-timestamp")!: "1", HTTPField.Name("webhook-signature")!: "v1,AAAA"]
                    : [:]
            )
        }

        #expect(response.status.code == status)
        #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
        #expect(response.headers[.referrerPolicy] == "no-referrer")
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(response.headers[.xRobotsTag] == "noindex")
        #expect(response.headers[.xContentTypeOptions] == "nosniff")
    }

    @Test("The page has no script, fits in 15 KB with its stylesheet, and labels every field")
    func pageBudget() async throws {
        let fixture = try await Fixture()

        let html = try await fixture.application().test(.router) { client in
            text(try await client.open("/\(fixture.link.code)?lang=ru"))
        }

        #expect(html.utf8.count < 15 * 1024)
        #expect(!html.lowercased().contains("<script"))
        #expect(html.contains("<html lang=\"ru\">"))
        #expect(html.contains("type=\"tel\""))
        #expect(html.contains("autocomplete=\"tel\""))
        #expect(html.contains("<label for=\"phone\">"))
        #expect(html.contains("<label for=\"reason_text\">"))
        #expect(html.contains("maxlength=\"500\""))
        #expect(html.contains("name=\"viewport\""))
    }

    @Test("Reasons come in a random order with Other always last")
    func reasonOrder() async throws {
        let fixture = try await Fixture()

        let orders = try await fixture.application().test(.router) { client in
            var orders: Set<[String]> = []
            for _ in 0..<30 {
                let html = text(try await client.open("/\(fixture.link.code)"))
                orders.insert(html.components(separatedBy: "name=\"reason\" value=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) })
            }
            return orders
        }

        #expect(orders.count > 1)
        for order in orders {
            #expect(order.count == 4)
            #expect(order.last == "other")
        }
    }

    @Test("Language: ?lang first, then Accept-Language, then the company's default")
    func languageChoice() async throws {
        let fixture = try await Fixture(defaultLanguage: "es")
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            let german = try await client.open("/\(code)?lang=de", headers: [.acceptLanguage: "fr"])
            let french = try await client.open("/\(code)", headers: [.acceptLanguage: "fr-BE,fr;q=0.9,en;q=0.5"])
            let dutch = try await client.open("/\(code)", headers: [.acceptLanguage: "ja, nl;q=0.8"])
            let spanish = try await client.execute(uri: "/\(code)", method: .get, headers: [.userAgent: Browser.iPhone])
            let russian = try await client.open("/\(code)?lang=ru")

            #expect(text(german).contains("<html lang=\"de\">"))
            #expect(text(german).contains("Keine Nachrichten mehr von Acme"))
            #expect(text(french).contains("Ne plus recevoir de messages de Acme"))
            #expect(text(dutch).contains("Geen berichten meer van Acme"))
            #expect(text(spanish).contains("Dejar de recibir mensajes de Acme"))
            #expect(text(russian).contains("Отписаться от сообщений Acme"))
        }
    }

    @Test("The confirmation is in the language the form was in")
    func confirmationLanguage() async throws {
        let fixture = try await Fixture()

        let done = try await fixture.application().test(.router) { client in
            let posted = try await client.optOut(code: fixture.link.code, phone: Fixture.phone, query: "?lang=fr")
            return try await client.open(try #require(posted.headers[.location]))
        }

        #expect(text(done).contains("Vous êtes désinscrit"))
    }

    @Test("Unknown and malformed codes get the same 404 page")
    func notFound() async throws {
        let fixture = try await Fixture()

        try await fixture.application().test(.router) { client in
            let unknown = try await client.open("/zzzzzzzzzz")
            let malformed = try await client.open("/!!!")
            let tooLong = try await client.open("/" + String(repeating: "a", count: 300))
            let deeper = try await client.open("/a/b/c")

            for response in [unknown, malformed, tooLong, deeper] {
                #expect(response.status == .notFound)
                #expect(text(response).contains("Link not found"))
            }
            #expect(text(unknown) == text(malformed))
            #expect(text(unknown) == text(tooLong))
            #expect(try await client.post("/zzzzzzzzzz", fields: [("phone", "1")]).status == .notFound)
            #expect(try await client.open("/zzzzzzzzzz/done").status == .notFound)
        }
    }

    @Test("A code is found whatever its case")
    func caseInsensitive() async throws {
        let fixture = try await Fixture()

        let status = try await fixture.application().test(.router) { client in
            try await client.open("/\(fixture.link.code.uppercased())").status
        }

        #expect(status == .ok)
    }

    @Test("A form body over 16 KB is refused with 413 and records nothing")
    func oversizedBody() async throws {
        let fixture = try await Fixture()

        let response = try await fixture.application().test(.router) { client in
            let page = try await client.open("/\(fixture.link.code)")
            let token = try #require(formToken(in: page))
            return try await client.post("/\(fixture.link.code)", fields: [
                ("token", token), ("phone", Fixture.phone), ("reason_text", String(repeating: "x", count: 17 * 1024)),
            ])
        }

        #expect(response.status == .contentTooLarge)
        #expect(try await fixture.history().isEmpty)
    }

    @Test("Invalid UTF-8 or a phone field that is not a number shows the form again with a message")
    func unreadableInput() async throws {
        let fixture = try await Fixture()
        let code = fixture.link.code

        try await fixture.application().test(.router) { client in
            let page = try await client.open("/\(code)")
            let token = try #require(formToken(in: page))
            let invalidUTF8 = try await client.execute(
                uri: "/\(code)", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .userAgent: Browser.iPhone],
                body: ByteBuffer(string: "token=\(token)&phone=%2B31612345678&reason_text=%FF%FE")
            )
            let notANumber = try await client.post("/\(code)", fields: [("token", token), ("phone", "call me maybe")])

            #expect(invalidUTF8.status == .badRequest)
            #expect(text(invalidUTF8).contains("Your answer could not be read"))
            #expect(text(invalidUTF8).contains("name=\"token\""))
            #expect(notANumber.status == .unprocessableContent)
            #expect(text(notANumber).contains("This does not look like a phone number"))
            #expect(text(notANumber).contains("value=\"call me maybe\""))
        }
        #expect(try await fixture.history().isEmpty)
        #expect(try await fixture.store.failedAttempts(linkID: fixture.link.id, since: .distantPast) == 0)
    }

    @Test("Free text is cleaned and cut to 500 characters; an unknown reason key is dropped")
    func freeTextCleaned() async throws {
        let fixture = try await Fixture()
        let typed = "  \u{202E}evil\u{202C} e\u{301}t\u{0007}e " + String(repeating: "ж", count: 600)

        try await fixture.application().test(.router) { client in
            _ = try await client.optOut(code: fixture.link.code, phone: Fixture.phone, reason: "made_up", reasonText: typed)
        }

        let event = try #require(try await fixture.history().first)
        let stored = try #require(event.reasonText)
        #expect(event.reason == nil)
        #expect(stored.hasPrefix("evil éte ж"))
        #expect(stored.count == 500)
        #expect(!stored.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x07 })
    }

    @Test("A number already opted out sees since when instead of the form")
    func alreadyOptedOut() async throws {
        let fixture = try await Fixture()
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: fixture.link.phone, scope: .marketing, source: .keyword,
            occurredAt: Date(timeIntervalSince1970: 1_790_000_000)
        ))

        let page = try await fixture.application().test(.router) { client in
            try await client.open("/\(fixture.link.code)")
        }

        #expect(page.status == .ok)
        #expect(text(page).contains("You are already opted out"))
        #expect(text(page).contains("September 21, 2026"))
        #expect(!text(page).contains("name=\"phone\""))
    }

    @Test("A company that revokes everything says so, and the opt-out has scope all")
    func revokeAll() async throws {
        let fixture = try await Fixture(optOutScope: .all)

        let page = try await fixture.application().test(.router) { client in
            let page = try await client.open("/\(fixture.link.code)")
            _ = try await client.optOut(code: fixture.link.code, phone: Fixture.phone)
            return page
        }

        #expect(text(page).contains("You will no longer receive any text messages from Acme"))
        #expect(try await fixture.history().first?.scope == .all)
    }

    @Test("The done page sends a number that is not opted out back to the form")
    func doneWithoutOptOut() async throws {
        let fixture = try await Fixture()

        let response = try await fixture.application().test(.router) { client in
            try await client.open("/\(fixture.link.code)/done")
        }

        #expect(response.status == .seeOther)
        #expect(response.headers[.location]?.hasPrefix("/\(fixture.link.code)") == true)
    }
}
