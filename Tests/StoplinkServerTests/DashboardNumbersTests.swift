import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

extension DashboardBrowser {
    /// The cookies as a `Cookie` header, for requests sent beside the browser (in parallel, or multipart).
    var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }

    /// Posts a `multipart/form-data` body as a browser sends a form with a file.
    func postMultipart(_ path: String, parts: [MultipartForm.Part], boundary: String = "----StoplinkTestBoundary") async throws -> TestResponse {
        let body = MultipartForm.write(parts, boundary: boundary)
        return try await client.execute(
            uri: path, method: .post,
            headers: [.cookie: cookieHeader, .contentType: "multipart/form-data; boundary=\(boundary)", .contentLength: String(body.count)],
            body: ByteBuffer(bytes: body)
        )
    }

    /// The CSRF token of the page at `path`.
    func token(on path: String) async throws -> String {
        try #require(csrfToken(in: try await get(path)))
    }
}

/// The number pages, the list and the review queue over the real application and a real SQLite file.
@Suite("The dashboard: numbers, the list and the review queue")
struct DashboardNumbersTests {
    static let other = "+31687654321"

    /// A fixture with the owner ann@acme.example logged in.
    static func signedIn(
        role: UserRole = .owner, _ body: @Sendable (Fixture, DashboardBrowser, any TestClientProtocol) async throws -> Void
    ) async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example", role: role)
        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn("ann@acme.example", Fixture.password)
            try await body(fixture, browser, client)
        }
    }

    static func phone(_ text: String) -> PhoneNumber { PhoneNumber(trustedE164: text) }

    // MARK: Search

    @Test("a number in any format leads to its page in E.164", arguments: [
        "06 12345678", "06-1234-5678", "+31 6 1234 5678", "0031 (6) 12.34.56.78", "\u{FF10}\u{FF16}12345678",
    ])
    func searchFormats(input: String) async throws {
        try await Self.signedIn { _, browser, _ in
            let search = try await browser.get("/dashboard/numbers?" + ConsentDisplay.query([("q", input)]))
            let page = try await browser.get(try #require(search.headers[.location]))

            #expect(search.status == .seeOther)
            #expect(search.headers[.location] == "/dashboard/numbers/%2B31612345678")
            #expect(page.status == .ok)
            #expect(text(page).contains("<h1>+31612345678</h1>"))
        }
    }

    @Test("a browser's GET form writes spaces as '+', and a leading plus as %2B")
    func searchPlusAsSpace() async throws {
        try await Self.signedIn { _, browser, _ in
            let national = try await browser.get("/dashboard/numbers?q=06+1234+5678")
            let international = try await browser.get("/dashboard/numbers?q=%2B31+6+1234+5678")

            #expect(national.headers[.location] == "/dashboard/numbers/%2B31612345678")
            #expect(international.headers[.location] == "/dashboard/numbers/%2B31612345678")
        }
    }

    @Test("text that is not a number gets a message next to the field, not a page", arguments: ["hello", "12", "+99 123 456 789", ""])
    func searchNonNumber(input: String) async throws {
        try await Self.signedIn { _, browser, _ in
            let page = try await browser.get("/dashboard/numbers?q=" + (input.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))

            #expect(page.status == .unprocessableContent)
            #expect(text(page).contains("id=\"q-error\""))
            #expect(text(page).contains("aria-invalid=\"true\""))
            #expect(!text(page).contains("<h2 id=\"history-heading\">"))
        }
    }

    @Test("the search page itself, and a path that is no number")
    func searchPage() async throws {
        try await Self.signedIn { _, browser, _ in
            let page = try await browser.get("/dashboard/numbers")
            let garbage = try await browser.get("/dashboard/numbers/not-a-number")

            #expect(page.status == .ok)
            #expect(text(page).contains("name=\"q\""))
            #expect(text(page).contains("aria-current=\"page\">Numbers"))
            #expect(garbage.status == .unprocessableContent)
            #expect(text(garbage).contains("id=\"q-error\""))
        }
    }

    // MARK: A number's story

    @Test("the page shows the state per scope and every ledger row: source, campaign, reason, free text, raw text, who")
    func story() async throws {
        try await Self.signedIn { fixture, browser, _ in
            let company = fixture.company.id
            let number = fixture.link.phone
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: company, phone: number, scope: .marketing, source: .link, campaignID: fixture.campaign.id,
                reason: "too_many", reasonText: "every <b>day</b>", occurredAt: fixture.clock.now().addingTimeInterval(-7200)
            ))
            _ = try await fixture.store.recordOptIn(
                companyID: company, phone: number, source: .api, evidence: "signed the form again", at: fixture.clock.now().addingTimeInterval(-3600)
            )
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: company, phone: number, scope: .all, source: .keyword, rawText: "STOPALL now", occurredAt: fixture.clock.now()
            ))

            let page = text(try await browser.get("/dashboard/numbers/+31612345678"))

            #expect(page.contains("<span class=\"figure stopped\">Stopped</span> <span class=\"label\">Marketing messages</span>"))
            #expect(page.contains("<span class=\"figure stopped\">Stopped</span> <span class=\"label\">Every message, also codes and order notices</span>"))
            #expect(page.contains("Every change to this number, newest first (3)"))
            for cell in ["Link page", "spring-sale", "too_many", "every &lt;b&gt;day&lt;/b&gt;", "signed the form again", "STOPALL now", "STOP reply", "API"] {
                #expect(page.contains("<td>\(cell)</td>"), "the history lacks \(cell)")
            }
            // Opted out of everything: nothing wider to opt out of, but it can opt back in.
            #expect(!page.contains("action=\"/dashboard/numbers/%2B31612345678/opt-out\""))
            #expect(page.contains("action=\"/dashboard/numbers/%2B31612345678/opt-in\""))
        }
    }

    @Test("a number only another company knows looks exactly like a number nobody knows")
    func otherCompanysNumber() async throws {
        try await Self.signedIn { fixture, browser, _ in
            let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "NL", defaultLanguage: "en", at: fixture.clock.now())
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: other.id, phone: Self.phone(Self.other), scope: .all, source: .keyword, rawText: "STOP other", occurredAt: fixture.clock.now()
            ))

            let known = text(try await browser.get("/dashboard/numbers/\(Self.other)"))
            let unknown = text(try await browser.get("/dashboard/numbers/+31611111111"))

            let strip = { (page: String) in
                page.replacingOccurrences(of: #"value="[^"]*""#, with: "", options: .regularExpression)
                    .replacingOccurrences(of: Self.other, with: "N").replacingOccurrences(of: "+31611111111", with: "N")
                    .replacingOccurrences(of: "%2B31687654321", with: "N").replacingOccurrences(of: "%2B31611111111", with: "N")
            }
            #expect(strip(known) == strip(unknown))
            #expect(known.contains("This number is not on your list."))
            #expect(!known.contains("STOP other"))
        }
    }

    // MARK: Opt out and back in

    @Test("opting out by hand writes a dashboard row with the user and the note, and queues its webhook")
    func optOutByHand() async throws {
        try await Self.signedIn(role: .marketer) { fixture, browser, _ in
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: "https://hooks.example/in", description: "", eventTypes: [], at: fixture.clock.now()
            )
            let path = "/dashboard/numbers/+31612345678"
            let token = try await browser.token(on: path)

            let answer = try await browser.post(path + "/opt-out", fields: [("csrf", token), ("scope", "marketing"), ("note", "Asked on the phone")])
            let again = try await browser.post(path + "/opt-out", fields: [("csrf", token), ("scope", "marketing"), ("note", "")])
            let page = text(try await browser.get(try #require(answer.headers[.location])))

            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location] == "/dashboard/numbers/%2B31612345678?done=opted-out")
            #expect(again.headers[.location] == "/dashboard/numbers/%2B31612345678?done=already")
            #expect(page.contains("role=\"status\""))
            #expect(page.contains("<td>ann@acme.example</td>"))
            let history = try await fixture.history()
            #expect(history.count == 1)
            #expect(history.first?.source == .dashboard)
            #expect(history.first?.reasonText == "Asked on the phone")
            let ann = try #require(try await fixture.store.user(email: "ann@acme.example"))
            #expect(history.first?.actor == ConsentActor(userID: ann.id, email: "ann@acme.example"))
            #expect(try await fixture.store.suppression(companyID: fixture.company.id, phone: fixture.link.phone)?.source == .dashboard)
            let events = try await fixture.store.events(companyID: fixture.company.id, after: 0, upTo: .max, limit: 10)
            #expect(events.map(\.source) == [.dashboard])
            #expect(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 10).count == 1)
        }
    }

    @Test("opting back in needs the evidence: without it the field says so and nothing is saved")
    func optInNeedsEvidence() async throws {
        try await Self.signedIn(role: .marketer) { fixture, browser, _ in
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: fixture.company.id, phone: fixture.link.phone, scope: .marketing, source: .link, occurredAt: fixture.clock.now()
            ))
            let path = "/dashboard/numbers/+31612345678"
            let token = try await browser.token(on: path)

            let missing = try await browser.post(path + "/opt-in", fields: [("csrf", token), ("evidence", "  \n ")])
            let tooLong = try await browser.post(path + "/opt-in", fields: [("csrf", token), ("evidence", String(repeating: "x", count: 1_001))])
            #expect(missing.status == .unprocessableContent)
            #expect(text(missing).contains("id=\"evidence-error\""))
            #expect(tooLong.status == .unprocessableContent)
            #expect(text(tooLong).contains("at most 1000 characters"))
            #expect(try await fixture.history().count == 1)

            let answer = try await browser.post(path + "/opt-in", fields: [("csrf", token), ("evidence", "Called us on 3 May and asked to get offers again")])
            let again = try await browser.post(path + "/opt-in", fields: [("csrf", token), ("evidence", "twice")])

            #expect(answer.headers[.location] == "/dashboard/numbers/%2B31612345678?done=opted-in")
            #expect(again.headers[.location] == "/dashboard/numbers/%2B31612345678?done=not-opted-out")
            let history = try await fixture.history()
            #expect(history.map(\.action) == [.optOut, .optIn])
            #expect(history.last?.source == .dashboard)
            #expect(history.last?.evidence == "Called us on 3 May and asked to get offers again")
            #expect(history.last?.actor?.email == "ann@acme.example")
            #expect(try await fixture.store.suppression(companyID: fixture.company.id, phone: fixture.link.phone) == nil)
        }
    }

    @Test("an opt-out with an unknown scope or a too long note is shown next to its field, and nothing is saved")
    func optOutInvalid() async throws {
        try await Self.signedIn { fixture, browser, _ in
            let path = "/dashboard/numbers/+31612345678"
            let token = try await browser.token(on: path)

            let scope = try await browser.post(path + "/opt-out", fields: [("csrf", token), ("scope", "everything")])
            let noScope = try await browser.post(path + "/opt-out", fields: [("csrf", token)])
            let note = try await browser.post(path + "/opt-out", fields: [("csrf", token), ("scope", "all"), ("note", String(repeating: "n", count: 501))])
            let badPath = try await browser.post("/dashboard/numbers/hello/opt-out", fields: [("csrf", token), ("scope", "all")])

            #expect(scope.status == .unprocessableContent)
            #expect(text(scope).contains("id=\"scope-error\""))
            #expect(noScope.status == .unprocessableContent)
            #expect(note.status == .unprocessableContent)
            #expect(text(note).contains("id=\"note-error\""))
            #expect(text(note).contains(String(repeating: "n", count: 501)), "what was typed is kept")
            #expect(badPath.status == .notFound)
            #expect(try await fixture.history().isEmpty)
        }
    }

    @Test("a form body over the forms' limit gets the dashboard's 413 page, and nothing is saved")
    func oversizedForm() async throws {
        try await Self.signedIn { fixture, browser, _ in
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: fixture.company.id, phone: fixture.link.phone, scope: .marketing, source: .link, occurredAt: fixture.clock.now()
            ))
            let path = "/dashboard/numbers/+31612345678"
            let token = try await browser.token(on: path)
            let huge = String(repeating: "x", count: DashboardController.maximumFormBytes)

            let optIn = try await browser.post(path + "/opt-in", fields: [("csrf", token), ("evidence", huge)])
            let optOut = try await browser.post(path + "/opt-out", fields: [("csrf", token), ("scope", "all"), ("note", huge)])

            #expect(optIn.status == .contentTooLarge)
            #expect(optOut.status == .contentTooLarge)
            #expect(text(optIn).contains("The form is too long"))
            #expect(try await fixture.history().count == 1)
        }
    }

    @Test("every form of these pages refuses a missing, forged or other session's CSRF token and changes nothing")
    func forgedCSRF() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.user("bob@acme.example")
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: Self.phone(Self.other), scope: .marketing, source: .link, occurredAt: fixture.clock.now()
        ))
        let item = try await Self.queue(fixture, from: Self.other, text: "stop please", id: "SM1")

        try await fixture.application().test(.router) { client in
            let ann = DashboardBrowser(client)
            _ = try await ann.logIn("ann@acme.example", Fixture.password)
            let bob = DashboardBrowser(client)
            _ = try await bob.logIn("bob@acme.example", Fixture.password)
            let bobsToken = try await bob.sessionToken()
            // Signed with the recipient page's signer, for exactly what a dashboard token binds.
            let cookie = try #require(ann.cookies["stoplink_session"])
            let sessionHash = try #require(DashboardSession.hash(cookie))
            let recipientToken = FormToken(secret: Data(fixture.dependencies.secret.utf8))
                .issue(code: DashboardController.sessionBinding(sessionHash), at: fixture.clock.now())

            for token in [nil, "forged", bobsToken, recipientToken] {
                let csrf = token.map { [("csrf", $0)] } ?? []
                let answers = [
                    try await ann.post("/dashboard/numbers/+31612345678/opt-out", fields: csrf + [("scope", "all")]),
                    try await ann.post("/dashboard/numbers/\(Self.other)/opt-in", fields: csrf + [("evidence", "asked")]),
                    try await ann.post("/dashboard/review/\(item)/apply", fields: csrf),
                    try await ann.post("/dashboard/review/\(item)/dismiss", fields: csrf),
                    try await ann.post("/dashboard/list/import", fields: csrf + [("text", "+31622222222")]),
                    try await ann.postMultipart("/dashboard/list/import", parts: (token.map { [.init(name: "csrf", body: Array($0.utf8))] } ?? [])
                        + [.init(name: "file", filename: "a.csv", contentType: "text/csv", body: Array("+31622222222\n".utf8))]),
                ]
                for answer in answers {
                    #expect(answer.status == .forbidden)
                    #expect(text(answer).contains("Nothing was changed"))
                }
            }
        }
        #expect(try await fixture.history().isEmpty)
        #expect(try await fixture.store.suppressionCount(companyID: fixture.company.id, matching: SuppressionFilter()) == 1)
        #expect(try await fixture.store.reviewQueue(companyID: fixture.company.id).count == 1)
        #expect(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10).allSatisfy { $0.action == "login" })
    }

    // MARK: The list

    @Test("the list filters by scope, source, campaign and dates, counts what matches, and pages newest first")
    func listFilters() async throws {
        try await Self.signedIn(role: .marketer) { fixture, browser, _ in
            let company = fixture.company.id
            let start = fixture.clock.now()
            for index in 0..<120 {
                _ = try await fixture.store.recordOptOut(OptOutRequest(
                    companyID: company, phone: Self.phone("+316200\(String(format: "%05d", index))"), scope: index % 3 == 0 ? .all : .marketing,
                    source: index % 2 == 0 ? .link : .api, campaignID: index % 2 == 0 ? fixture.campaign.id : nil,
                    occurredAt: start.addingTimeInterval(-Double(index) * 3_600)
                ))
            }

            let first = text(try await browser.get("/dashboard/list"))
            let nextHref = try #require(first.firstMatch(of: #/href="([^"]+)" rel="next"/#).map { String($0.1) }).replacingOccurrences(of: "&amp;", with: "&")
            let second = text(try await browser.get(nextHref))
            let third = text(try await browser.get(try #require(second.firstMatch(of: #/href="([^"]+)" rel="next"/#).map { String($0.1) })))
            let filtered = try await browser.get("/dashboard/list?scope=all&source=link&campaign=spring-sale")
            let day = ConsentDisplay.time(start.addingTimeInterval(-24 * 3_600)).prefix(10)
            let oneDay = text(try await browser.get("/dashboard/list?from=\(day)&to=\(day)"))

            #expect(first.contains("120 numbers"))
            #expect(first.contains("+31620000000"), "newest first")
            #expect(!first.contains("+31620000050"))
            #expect(second.contains("+31620000050") && !second.contains("+31620000049") && !second.contains("+31620000100"))
            #expect(third.contains("+31620000119") && !third.contains("rel=\"next\""))
            #expect(filtered.status == .ok)
            // Every sixth: even (link, the campaign) and a multiple of three (all).
            #expect(text(filtered).contains("20 numbers match"))
            #expect(!text(filtered).contains("+31620000002<"))
            #expect(text(filtered).contains("href=\"/dashboard/list.csv?scope=all&amp;source=link&amp;campaign=spring-sale\""))
            let rows = oneDay.matches(of: #/<th scope="row">/#).count
            #expect(rows >= 1 && rows <= 24)
            #expect(oneDay.contains("\(rows) number"))
        }
    }

    @Test("the list pages on past opt-outs imported with a date before 1970, never back to the top")
    func listBefore1970() async throws {
        try await Self.signedIn { fixture, browser, _ in
            for index in 0..<51 {
                _ = try await fixture.store.recordOptOut(OptOutRequest(
                    companyID: fixture.company.id, phone: Self.phone("+316210\(String(format: "%05d", index))"), scope: .marketing,
                    source: .import, occurredAt: Date(timeIntervalSince1970: -2_208_988_800 - Double(index) * 86_400)
                ))
            }

            let first = text(try await browser.get("/dashboard/list"))
            let nextHref = try #require(first.firstMatch(of: #/href="([^"]+)" rel="next"/#).map { String($0.1) }).replacingOccurrences(of: "&amp;", with: "&")
            let second = text(try await browser.get(nextHref))

            #expect(nextHref.contains("after=-"))
            #expect(first.contains("+31621000049") && !first.contains("+31621000050"))
            #expect(second.contains("+31621000050") && !second.contains("+31621000049"))
        }
    }

    @Test("filters that cannot be read, and another company's campaign, are shown next to their field", arguments: [
        "scope=some", "source=fax", "campaign=their-sale", "from=yesterday", "to=2026-02-30", "from=2026-05-02&to=2026-05-01",
    ])
    func listBadFilters(query: String) async throws {
        try await Self.signedIn { fixture, browser, _ in
            let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "NL", defaultLanguage: "en", at: fixture.clock.now())
            _ = try await fixture.store.createCampaign(companyID: other.id, ref: "their-sale", name: "Theirs", purpose: .marketing, at: fixture.clock.now())

            let page = try await browser.get("/dashboard/list?\(query)")
            let download = try await browser.get("/dashboard/list.csv?\(query)")

            #expect(page.status == .unprocessableContent)
            #expect(text(page).contains("class=\"field-error\""))
            #expect(text(page).contains("aria-invalid=\"true\""))
            #expect(download.status == .unprocessableContent)
            #expect(download.headers[.contentDisposition] == nil)
        }
    }

    // MARK: Import

    @Test("a CSV upload imports the good lines, reports each line, and keeps the user on the ledger rows")
    func importFile() async throws {
        try await Self.signedIn(role: .marketer) { fixture, browser, _ in
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: fixture.company.id, phone: fixture.link.phone, scope: .marketing, source: .link, occurredAt: fixture.clock.now()
            ))
            let token = try await browser.token(on: "/dashboard/list")
            let csv = "phone,opted_out_at,reason\n06 12345678,,\n0622222222,2026-01-02,moved\nnot a number,,\n+31633333333,2999-01-01,\n+31644444444,,\"=HYPERLINK(\"\"x\"\")\"\n0622222222,,\n"

            let answer = try await browser.postMultipart("/dashboard/list/import", parts: [
                .init(name: "csrf", body: Array(token.utf8)),
                .init(name: "file", filename: "opt-outs.csv", contentType: "text/csv", body: Array(csv.utf8)),
                .init(name: "text", body: []),
            ])
            let page = text(answer)

            #expect(answer.status == .ok)
            #expect(page.contains("<span class=\"figure\">2</span> <span class=\"label\">added</span>"))
            #expect(page.contains("<span class=\"figure\">2</span> <span class=\"label\">already on the list</span>"))
            #expect(page.contains("<span class=\"figure\">2</span> <span class=\"label\">not read</span>"))
            #expect(page.contains("<tr><td class=\"num\">2</td><td>06 12345678</td><td>+31612345678</td><td>Already on the list</td></tr>"))
            #expect(page.contains("<tr><td class=\"num\">3</td><td>0622222222</td><td>+31622222222</td><td>Added</td></tr>"))
            #expect(page.contains("<tr class=\"rejected\"><td class=\"num\">4</td><td>not a number</td>"))
            #expect(page.contains("<tr class=\"rejected\"><td class=\"num\">5</td>"))
            #expect(page.contains("<tr><td class=\"num\">7</td><td>0622222222</td><td>+31622222222</td><td>Already on the list</td></tr>"))
            let imported = try await fixture.store.history(companyID: fixture.company.id, phone: Self.phone("+31622222222"))
            #expect(imported.map(\.source) == [.import])
            #expect(imported.first?.reason == "moved")
            #expect(imported.first?.actor?.email == "ann@acme.example")
            #expect(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 1).first?.detail == "2 added, 2 already on the list, 2 not read")

            // The feed download keeps a formula a spreadsheet would run as text.
            let events = try await browser.get("/dashboard/events.csv")
            #expect(String(buffer: events.body).contains("'=HYPERLINK(\"\"x\"\")"))
        }
    }

    @Test("pasted lines import like a file, from a multipart or a plain form")
    func importPasted() async throws {
        try await Self.signedIn { fixture, browser, _ in
            let token = try await browser.token(on: "/dashboard/list")

            let multipart = try await browser.postMultipart("/dashboard/list/import", parts: [
                .init(name: "csrf", body: Array(token.utf8)), .init(name: "file", filename: "", contentType: "application/octet-stream", body: []),
                .init(name: "text", body: Array("+31655555555\r\n0655555556".utf8)),
            ])
            let plain = try await browser.post("/dashboard/list/import", fields: [("csrf", token), ("text", "0655555557")])

            #expect(multipart.status == .ok)
            #expect(text(multipart).contains("<span class=\"figure\">2</span> <span class=\"label\">added</span>"))
            #expect(plain.status == .ok)
            #expect(try await fixture.store.suppressionCount(companyID: fixture.company.id, matching: SuppressionFilter(source: .import)) == 3)
        }
    }

    @Test("an empty import, or a file without a phone column, is answered next to the field and imports nothing", arguments: [
        ("", ""), ("", "   \n"), ("name,city\nAnn,Delft\n", ""),
    ])
    func importUnreadable(file: String, pasted: String) async throws {
        try await Self.signedIn { fixture, browser, _ in
            let token = try await browser.token(on: "/dashboard/list")

            let answer = try await browser.postMultipart("/dashboard/list/import", parts: [
                .init(name: "csrf", body: Array(token.utf8)), .init(name: "file", filename: "f.csv", body: Array(file.utf8)),
                .init(name: "text", body: Array(pasted.utf8)),
            ])

            #expect(answer.status == .unprocessableContent)
            #expect(text(answer).contains("id=\"import-error\""))
            #expect(try await fixture.store.suppressionCount(companyID: fixture.company.id, matching: SuppressionFilter()) == 0)
        }
    }

    @Test("an oversized upload gets a 413 page, with or without a Content-Length, and imports nothing")
    func importTooLarge() async throws {
        try await Self.signedIn { fixture, browser, client in
            let token = try await browser.token(on: "/dashboard/list")
            let big = Array(String(repeating: "+31612345678\n", count: DashboardController.maximumUploadBytes / 13 + 1).utf8)

            let declared = try await browser.postMultipart("/dashboard/list/import", parts: [
                .init(name: "csrf", body: Array(token.utf8)), .init(name: "file", filename: "big.csv", body: big),
            ])
            let body = MultipartForm.write([.init(name: "csrf", body: Array(token.utf8)), .init(name: "file", filename: "big.csv", body: big)], boundary: "b")
            let undeclared = try await client.execute(
                uri: "/dashboard/list/import", method: .post,
                headers: [.cookie: browser.cookieHeader, .contentType: "multipart/form-data; boundary=b"],
                body: ByteBuffer(bytes: body)
            )

            #expect(declared.status == .contentTooLarge)
            #expect(text(declared).contains("The file is too large"))
            #expect(undeclared.status == .contentTooLarge)
            #expect(try await fixture.store.suppressionCount(companyID: fixture.company.id, matching: SuppressionFilter()) == 0)
        }
    }

    @Test("a multipart body that breaks the format gets a clear 400 and imports nothing")
    func importMalformed() async throws {
        try await Self.signedIn { fixture, browser, client in
            let answer = try await client.execute(
                uri: "/dashboard/list/import", method: .post,
                headers: [.cookie: browser.cookieHeader, .contentType: "multipart/form-data; boundary=b"],
                body: ByteBuffer(string: "--b\r\nContent-Type: text/csv\r\n\r\n+31622222222\r\n--b--\r\n")
            )

            #expect(answer.status == .badRequest)
            #expect(text(answer).contains("The upload could not be read"))
            #expect(try await fixture.store.suppressionCount(companyID: fixture.company.id, matching: SuppressionFilter()) == 0)
        }
    }

    // MARK: Downloads

    @Test("the list downloads as a CSV attachment with the page's filters; the feed with every change")
    func downloads() async throws {
        try await Self.signedIn(role: .marketer) { fixture, browser, _ in
            let company = fixture.company.id
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: company, phone: fixture.link.phone, scope: .marketing, source: .link, campaignID: fixture.campaign.id,
                reason: "too_many", occurredAt: fixture.clock.now()
            ))
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: company, phone: Self.phone(Self.other), scope: .all, source: .api, occurredAt: fixture.clock.now()
            ))
            _ = try await fixture.store.recordOptIn(companyID: company, phone: Self.phone(Self.other), source: .api, evidence: "asked", at: fixture.clock.now())
            let otherCompany = try await fixture.store.createCompany(name: "Other", defaultCountry: "NL", defaultLanguage: "en", at: fixture.clock.now())
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: otherCompany.id, phone: Self.phone("+31699999999"), scope: .all, source: .api, occurredAt: fixture.clock.now()
            ))

            let list = try await browser.get("/dashboard/list.csv?source=link")
            let feed = try await browser.get("/dashboard/events.csv")

            #expect(list.status == .ok)
            #expect(list.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(list.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"stoplink-list-") == true)
            let listLines = String(buffer: list.body).split(separator: "\n")
            #expect(listLines.count == 2)
            #expect(listLines.first == "phone,scope,since,source,campaign")
            #expect(listLines.last?.hasPrefix("+31612345678,marketing,") == true)
            #expect(listLines.last?.hasSuffix(",link,spring-sale") == true)
            #expect(feed.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"stoplink-events-") == true)
            let feedLines = String(buffer: feed.body).split(separator: "\n")
            #expect(feedLines.first == "seq,occurred_at,action,phone,scope,source,campaign,reason")
            #expect(feedLines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[2] } == ["opt_out", "opt_out", "opt_in"])
            #expect(!String(buffer: feed.body).contains("+31699999999"))
        }
    }

    // MARK: Review queue

    /// Queues an unclear reply received `ago` seconds before now, with the usual deadline.
    @discardableResult
    static func queue(
        _ fixture: Fixture, company: String? = nil, from: String, text: String, id: String, ago: TimeInterval = 0, deadline: Date? = nil
    ) async throws -> Int64 {
        let received = fixture.clock.now().addingTimeInterval(-ago)
        let record = try await fixture.store.processInbound(
            InboundMessage(companyID: company ?? fixture.company.id, gateway: .twilio, messageID: id, from: Self.phone(from), to: "+3197010000000",
                           text: text, receivedAt: received),
            decision: InboundDecision(
                action: .review, reply: nil, reviewDeadline: deadline ?? BusinessDays.add(InboundDecision.reviewBusinessDays, to: received)
            )
        )
        return record.id
    }

    @Test("the queue shows overdue replies first, then by deadline, each with its deadline")
    func reviewOrder() async throws {
        try await Self.signedIn(role: .marketer) { fixture, browser, _ in
            // Received in another order than their deadlines fall (a deadline is kept as it was set).
            let now = fixture.clock.now()
            try await Self.queue(fixture, from: "+31611111111", text: "due in ten days", id: "SM1", ago: 2 * 86_400, deadline: now + 10 * 86_400)
            try await Self.queue(fixture, from: "+31622222222", text: "overdue by an hour", id: "SM2", ago: 86_400, deadline: now - 3_600)
            try await Self.queue(fixture, from: "+31633333333", text: "due in five days", id: "SM3", ago: 3 * 86_400, deadline: now + 5 * 86_400)

            let page = text(try await browser.get("/dashboard/review"))

            let order = ["overdue by an hour", "due in five days", "due in ten days"].compactMap { page.range(of: $0)?.lowerBound }
            #expect(order.count == 3 && order == order.sorted())
            #expect(page.contains("3 waiting, 1 overdue."))
            #expect(page.matches(of: #/<strong class="badge">Overdue</strong>/#).count == 1)
            #expect(page.contains("aria-current=\"page\">Review queue"))
        }
    }

    @Test("applying a reply opts the number out with its text and the user; dismissing changes no consent; both are audited")
    func reviewApplyAndDismiss() async throws {
        try await Self.signedIn(role: .marketer) { fixture, browser, _ in
            let applyID = try await Self.queue(fixture, from: "+31612345678", text: "please stop these", id: "SM1")
            let dismissID = try await Self.queue(fixture, from: Self.other, text: "stop by the shop?", id: "SM2")
            let token = try await browser.token(on: "/dashboard/review")

            let applied = try await browser.post("/dashboard/review/\(applyID)/apply", fields: [("csrf", token)])
            let dismissed = try await browser.post("/dashboard/review/\(dismissID)/dismiss", fields: [("csrf", token)])
            let again = try await browser.post("/dashboard/review/\(applyID)/dismiss", fields: [("csrf", token)])
            let page = text(try await browser.get("/dashboard/review?done=applied"))

            #expect(applied.status == .seeOther)
            #expect(applied.headers[.location] == "/dashboard/review?done=applied")
            #expect(dismissed.headers[.location] == "/dashboard/review?done=dismissed")
            #expect(again.status == .notFound)
            #expect(text(again).contains("not waiting for review"))
            #expect(page.contains("Nothing is waiting for review."))
            let history = try await fixture.history()
            #expect(history.count == 1)
            #expect(history.first?.source == .keyword)
            #expect(history.first?.rawText == "please stop these")
            #expect(history.first?.actor?.email == "ann@acme.example")
            #expect(try await fixture.store.history(companyID: fixture.company.id, phone: Self.phone(Self.other)).isEmpty)
            let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 2).map(\.action)
            #expect(audit == ["review_dismissed", "review_applied"])
        }
    }

    @Test("another company's review item, or one that does not exist, is a 404 that changes nothing")
    func reviewOtherCompany() async throws {
        try await Self.signedIn { fixture, browser, _ in
            let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "NL", defaultLanguage: "en", at: fixture.clock.now())
            let theirs = try await Self.queue(fixture, company: other.id, from: Self.other, text: "their stop", id: "SM9")
            let token = try await browser.token(on: "/dashboard/review")

            let queue = text(try await browser.get("/dashboard/review"))
            let apply = try await browser.post("/dashboard/review/\(theirs)/apply", fields: [("csrf", token)])
            let missing = try await browser.post("/dashboard/review/999999/apply", fields: [("csrf", token)])
            let garbage = try await browser.post("/dashboard/review/abc/dismiss", fields: [("csrf", token)])

            #expect(!queue.contains("their stop"))
            #expect(apply.status == .notFound)
            #expect(missing.status == .notFound)
            #expect(garbage.status == .notFound)
            let strip = { (page: TestResponse) in text(page).replacingOccurrences(of: #"value="[^"]*""#, with: "", options: .regularExpression) }
            #expect(strip(apply) == strip(missing))
            #expect(try await fixture.store.reviewQueue(companyID: other.id).count == 1)
            #expect(try await fixture.store.history(companyID: other.id, phone: Self.phone(Self.other)).isEmpty)
        }
    }

    @Test("two applies of one review item at once: one applies it, the other is told it is gone; one ledger row")
    func reviewDoubleApply() async throws {
        try await Self.signedIn { fixture, browser, client in
            let id = try await Self.queue(fixture, from: "+31612345678", text: "stop sending", id: "SM1")
            let token = try await browser.token(on: "/dashboard/review")
            let headers: HTTPFields = [.cookie: browser.cookieHeader, .contentType: "application/x-www-form-urlencoded"]
            let body = formEncode([("csrf", token)])

            async let first = client.execute(uri: "/dashboard/review/\(id)/apply", method: .post, headers: headers, body: ByteBuffer(string: body))
            async let second = client.execute(uri: "/dashboard/review/\(id)/apply", method: .post, headers: headers, body: ByteBuffer(string: body))
            let statuses = try await [first.status, second.status]

            #expect(statuses.sorted { $0.code < $1.code } == [.seeOther, .notFound])
            #expect(try await fixture.history().count == 1)
            #expect(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10).filter { $0.action == "review_applied" }.count == 1)
        }
    }

    // MARK: Tenancy and logs

    @Test("a user of another company sees none of this company's numbers, list or queue")
    func otherCompanyWalk() async throws {
        let fixture = try await Fixture.dashboard()
        let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        try await fixture.user("eve@other.example", company: other.id)
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: fixture.link.phone, scope: .marketing, source: .link, campaignID: fixture.campaign.id,
            reasonText: "acme secret reason", occurredAt: fixture.clock.now()
        ))
        try await Self.queue(fixture, from: Self.other, text: "acme review text", id: "SM1")

        try await fixture.application().test(.router) { client in
            let eve = DashboardBrowser(client)
            _ = try await eve.logIn("eve@other.example", Fixture.password)
            var pages: [String] = []
            for path in ["/dashboard/numbers/+31612345678", "/dashboard/list", "/dashboard/review", "/dashboard/list.csv", "/dashboard/events.csv",
                         "/dashboard/list?campaign=spring-sale"] {
                pages.append(text(try await eve.get(path)))
            }

            for page in pages {
                #expect(!page.contains("acme secret reason"))
                #expect(!page.contains("acme review text"))
                #expect(!page.contains("+31612345678,"))
                #expect(!page.contains("spring-sale\""))
            }
            #expect(pages[0].contains("This number is not on your list."))
            #expect(pages[1].contains("0 numbers"))
        }
    }

    @Test("these pages and actions never log a full number")
    func logs() async throws {
        try await Self.signedIn { fixture, browser, _ in
            try await Self.queue(fixture, from: Self.other, text: "stop it", id: "SM1")
            let token = try await browser.token(on: "/dashboard/review")
            _ = try await browser.get("/dashboard/numbers?q=0612345678")
            _ = try await browser.post("/dashboard/numbers/+31612345678/opt-out", fields: [("csrf", token), ("scope", "marketing")])
            _ = try await browser.post("/dashboard/numbers/+31612345678/opt-in", fields: [("csrf", token), ("evidence", "asked")])
            _ = try await browser.post("/dashboard/list/import", fields: [("csrf", token), ("text", "+31633333333\nnope")])
            _ = try await browser.post("/dashboard/review/1/apply", fields: [("csrf", token)])
            _ = try await browser.get("/dashboard/list.csv")

            let leaks = fixture.logs.lines.filter { line in
                ([line.message] + line.metadata.values).contains { text in
                    ["+31612345678", "31612345678", Self.other, "31633333333"].contains { text.contains($0) }
                }
            }
            #expect(leaks.isEmpty, "\(leaks.map(\.message))")
            #expect(fixture.logs.lines.contains { $0.message == "dashboard opt-out" })
        }
    }
}
