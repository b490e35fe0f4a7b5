import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// Every dashboard route the application serves, walked as another company's owner and as a
/// marketer. The routes come from the router itself, so a page added later is walked too and must
/// fall under the rules below: settings pages are owners' (a marketer may read company, reasons,
/// texts and rules), everything else a marketer may use.
@Suite("The dashboard walked route by route: another company's owner and a marketer")
struct DashboardWalkTests {
    static let marketerReadable: Set<String> = [
        "/dashboard/settings", "/dashboard/settings/company", "/dashboard/settings/reasons", "/dashboard/settings/texts",
        "/dashboard/settings/rules",
    ]

    struct Route: CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var description: String { "\(method) \(path)" }

        /// Whether the path names one of the company's own things by an id (not a phone number
        /// or a reason key, which every company has its own of).
        var namesAThing: Bool {
            ["{ref}", "{id}", "{prefix}", "{number}"].contains { path.contains($0) }
        }

        var ownersOnly: Bool {
            guard path.hasPrefix("/dashboard/settings") else { return false }
            return method == .post || !DashboardWalkTests.marketerReadable.contains(path)
        }
    }

    /// The signed-in dashboard's routes: not the login, the catch-all or logout.
    static func routes(_ fixture: Fixture) -> [Route] {
        buildRouter(config: fixture.config, dependencies: fixture.dependencies).routes
            .map { Route(method: $0.method, path: $0.path.description) }
            .filter { route in
                [.get, .post].contains(route.method) && route.path.hasPrefix("/dashboard")
                    && !["/dashboard/login", "/dashboard/logout"].contains(route.path) && !route.path.contains("*")
            }
    }

    /// The company's things, by the parameter names the routes use.
    struct Things {
        var campaign: String
        var endpoint: String
        var delivery: Int64
        var key: String
        var user: String
        var review: Int64

        func fill(_ path: String) -> String {
            var filled = path.replacingOccurrences(of: "{ref}", with: DashboardController.pathComponent(campaign))
                .replacingOccurrences(of: "{prefix}", with: key)
                .replacingOccurrences(of: "{number}", with: String(delivery))
                .replacingOccurrences(of: "{phone}", with: "%2B31611112222")
                .replacingOccurrences(of: "{key}", with: "never_signed_up")
            if filled.contains("/review/") { filled = filled.replacingOccurrences(of: "{id}", with: String(review)) }
            if filled.contains("/webhooks/") { filled = filled.replacingOccurrences(of: "{id}", with: endpoint) }
            if filled.contains("/users/") { filled = filled.replacingOccurrences(of: "{id}", with: user) }
            return filled
        }
    }

    static func things(_ fixture: Fixture) async throws -> Things {
        let settings = try await DashboardIntegrationsTests.things(fixture)
        let review = try await DashboardNumbersTests.queue(fixture, from: "+31611113333", text: "hmm maybe stop", id: "SM-walk")
        return Things(
            campaign: fixture.campaign.ref, endpoint: settings.endpoint.id, delivery: settings.delivery.number,
            key: settings.key.prefix, user: settings.marketer.id, review: review
        )
    }

    /// What any dashboard action could change in the company, to compare before and after a walk.
    struct State: Equatable {
        var settings: DashboardIntegrationsTests.Snapshot
        var company: Company?
        var review: [ReviewItem]
        var suppression: Suppression?
        var history: [ConsentEvent]
        var campaigns: [Campaign]
    }

    static func state(_ fixture: Fixture) async throws -> State {
        let id = fixture.company.id
        let phone = PhoneNumber(trustedE164: "+31611112222")
        return State(
            settings: try await DashboardIntegrationsTests.snapshot(fixture), company: try await fixture.store.company(id: id),
            review: try await fixture.store.reviewQueue(companyID: id),
            suppression: try await fixture.store.suppression(companyID: id, phone: phone),
            history: try await fixture.store.history(companyID: id, phone: phone),
            campaigns: try await fixture.store.campaigns(companyID: id)
        )
    }

    static func signedIn(_ client: any TestClientProtocol, _ email: String) async throws -> DashboardBrowser {
        let browser = DashboardBrowser(client)
        let login = try await browser.logIn(email, Fixture.password)
        #expect(login.status == .seeOther, "\(email) logs in")
        return browser
    }

    @Test("the walk covers every area of the dashboard")
    func everyArea() async throws {
        let fixture = try await Fixture.dashboard()
        let paths = Set(Self.routes(fixture).map(\.path))

        for expected in [
            "/dashboard", "/dashboard/campaigns", "/dashboard/campaigns/{ref}", "/dashboard/numbers/{phone}", "/dashboard/list",
            "/dashboard/review", "/dashboard/review/{id}/apply", "/dashboard/settings", "/dashboard/settings/keys/{prefix}/revoke",
            "/dashboard/settings/webhooks/{id}/deliveries/{number}/retry", "/dashboard/settings/users/{id}/remove", "/dashboard/settings/audit",
        ] {
            #expect(paths.contains(expected), "\(expected) is not among the routes: \(paths.sorted())")
        }
    }

    @Test("another company's owner gets 404 on every route naming this company's things, and changes nothing")
    func anotherCompany() async throws {
        let fixture = try await Fixture.dashboard()
        let ours = try await Self.things(fixture)
        let other = try await fixture.store.createCompany(name: "Globex", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        try await fixture.user("bob@globex.example", company: other.id)
        let routes = Self.routes(fixture).filter(\.namesAThing)
        let before = try await Self.state(fixture)
        #expect(routes.count >= 15)

        try await fixture.application().test(.router) { client in
            let bob = try await Self.signedIn(client, "bob@globex.example")
            let missing = text(try await bob.get("/dashboard/no-such-page"))
            for route in routes {
                let path = ours.fill(route.path)
                let answer = route.method == .get
                    ? try await bob.get(path)
                    : try await DashboardIntegrationsTests.submit(bob, path, [("scope", "all"), ("evidence", "asked"), ("role", "owner")])

                #expect(answer.status == .notFound, "\(route) as another company's owner: \(answer.status)")
                if route.method == .get { #expect(text(answer) == missing, "\(route) tells what exists") }
            }
            // A phone number is every company's own: this company's history of it is not shown.
            let number = text(try await bob.get(ours.fill("/dashboard/numbers/{phone}")))
            #expect(!number.contains("Spring sale") && !number.contains("API"), "another company's history shows")
        }
        #expect(try await Self.state(fixture) == before)
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100)
        #expect(audit.isEmpty, "\(audit.map(\.action))")
    }

    @Test("a marketer reads every page but owners' settings, which answer 404 to GET and POST and change nothing")
    func marketer() async throws {
        let fixture = try await Fixture.dashboard()
        let ours = try await Self.things(fixture)
        let routes = Self.routes(fixture)
        let before = try await Self.state(fixture)
        #expect(routes.contains { $0.ownersOnly && $0.method == .get })
        #expect(routes.contains { $0.ownersOnly && $0.method == .post })

        try await fixture.application().test(.router) { client in
            let mia = try await Self.signedIn(client, "mia@acme.example")
            let missing = text(try await mia.get("/dashboard/no-such-page"))
            for route in routes where route.method == .get {
                let answer = try await mia.get(ours.fill(route.path))

                if route.ownersOnly {
                    #expect(answer.status == .notFound, "\(route) as a marketer: \(answer.status)")
                    #expect(text(answer) == missing, "\(route) tells a marketer it exists")
                } else {
                    #expect(answer.status == .ok, "\(route) as a marketer: \(answer.status)")
                }
            }
            for route in routes where route.method == .post && route.ownersOnly {
                let answer = try await DashboardIntegrationsTests.submit(
                    mia, ours.fill(route.path),
                    [("role", "owner"), ("name", "Taken over"), ("url", "https://evil.example/hook"), ("number", "+31201234999"),
                     ("email", "eve@evil.example"), ("address", "eve@evil.example"), ("key", "new_reason"), ("label_en", "New")]
                )

                #expect(answer.status == .notFound, "\(route) as a marketer: \(answer.status)")
            }
            // Owners' settings are not even linked for a marketer.
            let index = text(try await mia.get("/dashboard/settings"))
            for path in ["/dashboard/settings/keys", "/dashboard/settings/webhooks", "/dashboard/settings/users", "/dashboard/settings/audit"] {
                #expect(!index.contains("href=\"\(path)\""), "\(path) is linked for a marketer")
            }
        }
        #expect(try await Self.state(fixture) == before)
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100)
        #expect(audit.map(\.action) == ["login"])
    }
}
