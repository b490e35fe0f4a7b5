import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// A browser's cookie jar over the test client: keeps what `Set-Cookie` sets, sends it back.
final class DashboardBrowser: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    func get(_ path: String) async throws -> TestResponse {
        try await send(path, method: .get, body: nil)
    }

    func post(_ path: String, fields: [(String, String)]) async throws -> TestResponse {
        try await send(path, method: .post, body: formEncode(fields))
    }

    /// Opens the login page and logs in with its CSRF token.
    func logIn(_ email: String, _ password: String) async throws -> TestResponse {
        let page = try await get("/dashboard/login")
        let token = try #require(csrfToken(in: page))
        return try await post("/dashboard/login", fields: [("csrf", token), ("email", email), ("password", password)])
    }

    /// The CSRF token of a signed-in page's logout form.
    func sessionToken() async throws -> String {
        try #require(csrfToken(in: try await get("/dashboard")))
    }

    private func send(_ path: String, method: HTTPRequest.Method, body: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.userAgent: Browser.iPhone]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }
}

func csrfToken(in response: TestResponse) -> String? {
    let html = text(response)
    guard let start = html.range(of: "name=\"csrf\" value=\"") else { return nil }
    let rest = html[start.upperBound...]
    return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
}

extension Fixture {
    static let password = "correct horse battery"

    /// A fixture whose passwords hash fast (bcrypt cost 4) and whose in-memory `login` limit is
    /// off, so the database's failed-login count is what a test sees.
    static func dashboard(limitLogins: Bool = false) async throws -> Fixture {
        try await Fixture { config in
            config.bcryptCost = 4
            if !limitLogins { config.rateLimits.login = nil }
        }
    }

    @discardableResult
    func user(_ email: String, role: UserRole = .owner, company: String? = nil) async throws -> User {
        try await store.createUser(
            companyID: company ?? self.company.id, email: email, role: role,
            passwordHash: PasswordHasher(cost: 4).hash(Self.password), at: clock.now()
        )
    }
}

@Suite("The dashboard: logins, sessions, CSRF, roles and tenancy")
struct DashboardTests {
    @Test("the right password logs in with a locked-down session cookie, and the overview shows")
    func rightPassword() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            let page = try await browser.get("/dashboard/login")
            let token = try #require(csrfToken(in: page))
            let login = try await browser.post("/dashboard/login", fields: [("csrf", token), ("email", "Ann@Acme.example"), ("password", Fixture.password)])
            let overview = try await browser.get("/dashboard")

            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy]?.contains("script") == false)
            #expect(login.status == .seeOther)
            #expect(login.headers[.location] == "/dashboard")
            let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("stoplink_session=") })
            for attribute in ["HttpOnly", "SameSite=Lax", "Path=/dashboard", "Secure"] {
                #expect(cookie.contains(attribute), "cookie lacks \(attribute): \(cookie)")
            }
            #expect(overview.status == .ok)
            #expect(text(overview).contains("Overview"))
            #expect(text(overview).contains("Spring sale"))
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10)
        #expect(audit.map(\.action) == ["login"])
    }

    @Test("the cookie is not Secure when the public URL is plain http")
    func plainHTTP() async throws {
        let fixture = try await Fixture { config in
            config.bcryptCost = 4
            config.publicURL = "http://127.0.0.1:8080"
        }
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let login = try await DashboardBrowser(client).logIn("ann@acme.example", Fixture.password)

            let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("stoplink_session=") })
            #expect(!cookie.contains("Secure"))
            #expect(cookie.contains("HttpOnly"))
        }
    }

    @Test("a wrong password and an unknown email get the same answer and no session")
    func wrongPassword() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            let wrong = try await browser.logIn("ann@acme.example", "not the password")
            let unknown = try await browser.logIn("nobody@acme.example", Fixture.password)
            let overview = try await browser.get("/dashboard")

            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(text(wrong).contains("The email or password is not right."))
            #expect(text(unknown).contains("The email or password is not right."))
            #expect(browser.cookies["stoplink_session"] == nil)
            #expect(overview.status == .seeOther)
            #expect(overview.headers[.location] == "/dashboard/login")
        }
    }

    @Test("ten failed logins for an account make it wait, even with the right password, across a restart")
    func accountLockout() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            for _ in 0..<10 {
                let failed = try await browser.logIn("ann@acme.example", "wrong password!")
                #expect(failed.status == .unauthorized)
            }
        }
        // A new application over the same database: the count was kept there, not in memory.
        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            let locked = try await browser.logIn("ann@acme.example", Fixture.password)

            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.retryAfter] != nil)
            #expect(text(locked).contains("Too many failed logins"))
            #expect(browser.cookies["stoplink_session"] == nil)

            fixture.clock.advance(by: 15 * 60 + 1)
            let later = try await browser.logIn("ann@acme.example", Fixture.password)

            #expect(later.status == .seeOther)
        }
    }

    @Test("ten failed logins from one address, each for another email, make that address wait")
    func addressLockout() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            for index in 0..<10 {
                _ = try await browser.logIn("guess\(index)@acme.example", "wrong password!")
            }

            let locked = try await browser.logIn("ann@acme.example", Fixture.password)

            #expect(locked.status == .tooManyRequests)
        }
    }

    @Test("the configured login rate limit answers 429 before any password is checked")
    func loginRateLimit() async throws {
        let fixture = try await Fixture { config in
            config.bcryptCost = 4
            config.rateLimits.login = RateLimit(name: "login", count: 2, window: 60)
        }
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn("ann@acme.example", "wrong password!")
            _ = try await browser.logIn("ann@acme.example", "wrong password!")
            let refused = try await browser.logIn("ann@acme.example", Fixture.password)

            #expect(refused.status == .tooManyRequests)
        }
    }

    @Test("a session ends after two idle hours")
    func idleExpiry() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn("ann@acme.example", Fixture.password)
            fixture.clock.advance(by: 2 * 60 * 60 - 60)
            let stillThere = try await browser.get("/dashboard")
            fixture.clock.advance(by: 2 * 60 * 60 + 1)
            let gone = try await browser.get("/dashboard")

            #expect(stillThere.status == .ok)
            #expect(gone.status == .seeOther)
            #expect(gone.headers[.location] == "/dashboard/login")
        }
    }

    @Test("a busy session ends twelve hours after login")
    func absoluteExpiry() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn("ann@acme.example", Fixture.password)
            for _ in 0..<11 {
                fixture.clock.advance(by: 60 * 60)
                let page = try await browser.get("/dashboard")
                #expect(page.status == .ok)
            }
            fixture.clock.advance(by: 60 * 60 + 1)

            let gone = try await browser.get("/dashboard")

            #expect(gone.status == .seeOther)
        }
    }

    @Test("logout ends the session in the database, so the old cookie no longer works")
    func logout() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn("ann@acme.example", Fixture.password)
            let oldCookie = try #require(browser.cookies["stoplink_session"])
            let token = try await browser.sessionToken()

            let out = try await browser.post("/dashboard/logout", fields: [("csrf", token)])
            browser.cookies["stoplink_session"] = oldCookie
            let replayed = try await browser.get("/dashboard")

            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/dashboard/login")
            #expect(replayed.status == .seeOther)
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10)
        #expect(audit.map(\.action) == ["logout", "login"])
    }

    @Test("a forged or garbled session cookie is a visitor without a session", arguments: [
        "", "garbage", String(repeating: "A", count: 43), DashboardSession.generateID(), "%00%ff", "a;b",
    ])
    func forgedCookie(value: String) async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/dashboard", method: .get, headers: [.cookie: "stoplink_session=\(value)"]
            )

            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/dashboard/login")
        }
    }

    @Test("every POST without its CSRF token, or with a wrong one, is refused and changes nothing")
    func csrf() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.get("/dashboard/login")
            // Signed by the recipient page's signer for exactly what a dashboard token binds.
            let binding = DashboardController.loginBinding(try #require(browser.cookies["stoplink_login"]))
            let recipientToken = FormToken(secret: Data(fixture.dependencies.secret.utf8)).issue(code: binding, at: fixture.clock.now())
            let noToken = try await browser.post("/dashboard/login", fields: [("email", "ann@acme.example"), ("password", Fixture.password)])
            let wrongToken = try await browser.post(
                "/dashboard/login", fields: [("csrf", recipientToken), ("email", "ann@acme.example"), ("password", Fixture.password)]
            )
            #expect(noToken.status == .forbidden)
            #expect(wrongToken.status == .forbidden)
            #expect(browser.cookies["stoplink_session"] == nil)

            // A token from another browser's login page is bound to that browser's cookie.
            let other = DashboardBrowser(client)
            let othersToken = try #require(csrfToken(in: try await other.get("/dashboard/login")))
            let foreign = try await browser.post(
                "/dashboard/login", fields: [("csrf", othersToken), ("email", "ann@acme.example"), ("password", Fixture.password)]
            )
            #expect(foreign.status == .forbidden)

            _ = try await browser.logIn("ann@acme.example", Fixture.password)
            let loginToken = try #require(csrfToken(in: try await other.get("/dashboard/login")))
            let logoutNoToken = try await browser.post("/dashboard/logout", fields: [])
            let logoutLoginToken = try await browser.post("/dashboard/logout", fields: [("csrf", loginToken)])
            let stillIn = try await browser.get("/dashboard")

            #expect(logoutNoToken.status == .forbidden)
            #expect(logoutLoginToken.status == .forbidden)
            #expect(stillIn.status == .ok)
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10)
        #expect(audit.map(\.action) == ["login"])
    }

    @Test("a user of another company gets 404 for this company's campaign, as for one that does not exist")
    func otherCompany() async throws {
        let fixture = try await Fixture.dashboard()
        let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        try await fixture.user("eve@other.example", company: other.id)
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let eve = DashboardBrowser(client)
            _ = try await eve.logIn("eve@other.example", Fixture.password)
            let foreign = try await eve.get("/dashboard/campaigns/spring-sale")
            let missing = try await eve.get("/dashboard/campaigns/no-such-campaign")
            let overview = try await eve.get("/dashboard")
            let ann = DashboardBrowser(client)
            _ = try await ann.logIn("ann@acme.example", Fixture.password)
            let own = try await ann.get("/dashboard/campaigns/spring-sale")

            #expect(foreign.status == .notFound)
            #expect(missing.status == .notFound)
            #expect(text(foreign) == text(missing))
            #expect(!text(overview).contains("Spring sale"))
            #expect(!text(overview).contains("Acme"))
            #expect(own.status == .ok)
            #expect(text(own).contains("Spring sale"))
        }
    }

    @Test("a marketer gets 404 for owner pages and sees no link to them; an owner sees them")
    func marketer() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("mia@acme.example", role: .marketer)
        try await fixture.user("ann@acme.example", role: .owner)

        try await fixture.application().test(.router) { client in
            let mia = DashboardBrowser(client)
            _ = try await mia.logIn("mia@acme.example", Fixture.password)
            let audit = try await mia.get("/dashboard/settings/audit")
            let overview = try await mia.get("/dashboard")
            let ann = DashboardBrowser(client)
            _ = try await ann.logIn("ann@acme.example", Fixture.password)
            let ownerAudit = try await ann.get("/dashboard/settings/audit")

            #expect(audit.status == .notFound)
            #expect(overview.status == .ok)
            #expect(!text(overview).contains("/dashboard/settings/audit"))
            #expect(ownerAudit.status == .ok)
            #expect(text(ownerAudit).contains("mia@acme.example"))
        }
    }

    @Test("an unknown dashboard path gets the dashboard's own 404 page, not the recipient's")
    func unknownPath() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/dashboard/nothing/here", method: .get)

            #expect(response.status == .notFound)
            #expect(text(response).contains("There is no such page on your dashboard."))
            #expect(response.headers[.contentSecurityPolicy] == fixture.dependencies.dashboardRenderer.contentSecurityPolicy)
        }
    }

    @Test("the overview counts opt-outs today, in 7 and in 30 days by source, and the latest campaigns")
    func overviewFigures() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        let now = fixture.clock.now()
        for (index, (source, daysAgo)) in [(ConsentSource.link, 0.0), (.keyword, 3), (.api, 20), (.link, 40)].enumerated() {
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: fixture.company.id, phone: try PhoneNumber(parsing: "+3161234560\(index)", defaultRegion: nil), scope: .marketing,
                source: source, campaignID: source == .link ? fixture.campaign.id : nil, reason: nil, reasonText: nil, rawText: nil,
                occurredAt: now.addingTimeInterval(-daysAgo * 86_400)
            ))
        }

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn("ann@acme.example", Fixture.password)
            let page = text(try await browser.get("/dashboard"))

            #expect(page.contains("<th scope=\"row\">Link page</th><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">1</td>"))
            #expect(page.contains("<th scope=\"row\">STOP reply</th><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td>"))
            #expect(page.contains("<th scope=\"row\">API</th><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td>"))
            // The campaign: one link, two opt-outs through it (one 40 days ago).
            #expect(page.contains("href=\"/dashboard/campaigns/spring-sale\""))
            #expect(page.contains("<td class=\"num\">2</td><td class=\"num\">200.0 %</td>"))
        }
    }
}

@Suite("The dashboard: forms past the size limit")
struct DashboardFormLimitTests {
    @Test("a login form past 16 KB gets the dashboard's 413 page, and no failure or session is recorded")
    func oversizedLogin() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.application().test(.router) { client in
            let browser = DashboardBrowser(client)
            let token = try #require(csrfToken(in: try await browser.get("/dashboard/login")))
            let answer = try await browser.post("/dashboard/login", fields: [
                ("csrf", token), ("email", "ann@acme.example"), ("password", String(repeating: "x", count: DashboardController.maximumFormBytes)),
            ])
            let overview = try await browser.get("/dashboard")

            #expect(answer.status == .contentTooLarge)
            #expect(text(answer).contains("The form is too long"))
            #expect(text(answer).contains("<link") == false && text(answer).contains("Log in"))
            #expect(overview.status == .seeOther)
        }
        let failures = try await fixture.store.loginFailures(email: "ann@acme.example", address: "", since: .distantPast)
        #expect(failures.email == 0)
    }
}
