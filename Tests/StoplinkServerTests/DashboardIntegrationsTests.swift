import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// The owners' settings pages: numbers, webhooks, keys, users, email.
@Suite("The dashboard: settings for integrations and people")
struct DashboardIntegrationsTests {
    static let owner = "ann@acme.example"

    /// Every owner-only page, and every action with the fields a valid form would send.
    static func routes(endpoint: String, delivery: Int64, key: String, user: String) -> (pages: [String], posts: [(String, [(String, String)])]) {
        let hook = "/dashboard/settings/webhooks/\(endpoint)"
        return (
            ["/dashboard/settings/numbers", "/dashboard/settings/webhooks", hook, "/dashboard/settings/keys",
             "/dashboard/settings/users", "/dashboard/settings/email"],
            [
                ("/dashboard/settings/numbers", [("number", "+31201112233")]),
                ("/dashboard/settings/numbers/remove", [("number", "+31201234567")]),
                ("/dashboard/settings/numbers/secret", []),
                ("/dashboard/settings/webhooks", [("url", "https://hooks.example/new"), ("type_optout_created", "on")]),
                ("\(hook)/remove", []), ("\(hook)/pause", []), ("\(hook)/resume", []), ("\(hook)/secret", []), ("\(hook)/test", []),
                ("\(hook)/deliveries/\(delivery)/retry", []),
                ("/dashboard/settings/keys", [("name", "crm")]),
                ("/dashboard/settings/keys/\(key)/revoke", []),
                ("/dashboard/settings/users", [("email", "new@acme.example"), ("role", "owner"), ("password_mode", "generate")]),
                ("/dashboard/settings/users/\(user)/role", [("role", "owner")]),
                ("/dashboard/settings/users/\(user)/password", []),
                ("/dashboard/settings/users/\(user)/remove", []),
                ("/dashboard/settings/email", [("address", "new@acme.example"), ("forward", "on")]),
                ("/dashboard/settings/email/update", [("address", "ops@acme.example"), ("digest", "on")]),
                ("/dashboard/settings/email/remove", [("address", "ops@acme.example")]),
            ]
        )
    }

    /// One company's settings, one of each thing, for the tests that check nothing changed.
    struct Things {
        var endpoint: WebhookEndpoint
        var delivery: WebhookDelivery
        var key: StoredAPIKey
        var marketer: User
    }

    @discardableResult
    static func things(_ fixture: Fixture, company: String? = nil, suffix: String = "") async throws -> Things {
        let companyID = company ?? fixture.company.id
        let now = fixture.clock.now()
        _ = try await fixture.store.addNumber(companyID: companyID, number: suffix.isEmpty ? "+31201234567" : "+31201234569", at: now)
        _ = try await fixture.store.rotateInboundSecret(companyID: companyID)
        let endpoint = try await fixture.store.createEndpoint(
            companyID: companyID, url: "https://hooks.example/\(companyID)", description: "crm", eventTypes: [], at: now
        )
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: companyID, phone: try PhoneNumber(parsing: "+31611112222", defaultRegion: nil), scope: .marketing, source: .api,
            occurredAt: now
        ))
        let delivery = try #require(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 1).first)
        let key = try await fixture.store.createKey(companyID: companyID, name: "platform", at: now).stored
        let marketer = try await fixture.user("mia\(suffix)@acme.example", role: .marketer, company: companyID)
        _ = try await fixture.store.setEmailRecipient(
            companyID: companyID, address: "ops\(suffix)@acme.example", forward: true, digest: false, at: now
        )
        return Things(endpoint: endpoint, delivery: delivery, key: key, marketer: marketer)
    }

    /// Everything the settings pages can change, to compare before and after.
    struct Snapshot: Equatable {
        var numbers: [String]
        var inboundSecret: String?
        var endpoints: [WebhookEndpoint]
        var deliveries: [WebhookDelivery]
        var tests: [WebhookTestDelivery]
        var keys: [StoredAPIKey]
        var users: [User]
        var recipients: [EmailRecipient]
    }

    static func snapshot(_ fixture: Fixture, company: String? = nil) async throws -> Snapshot {
        let id = company ?? fixture.company.id
        let store = fixture.store
        let endpoints = try await store.endpoints(companyID: id)
        var deliveries: [WebhookDelivery] = []
        var tests: [WebhookTestDelivery] = []
        for endpoint in endpoints {
            deliveries += try await store.deliveries(endpointID: endpoint.id, limit: 100)
            tests += try await store.testDeliveries(endpointID: endpoint.id, limit: 100)
        }
        return Snapshot(
            numbers: try await store.numbers(companyID: id), inboundSecret: try await store.inboundSecret(companyID: id),
            endpoints: endpoints, deliveries: deliveries, tests: tests, keys: try await store.keys(companyID: id),
            users: try await store.users(companyID: id), recipients: try await store.emailRecipients(companyID: id)
        )
    }

    static func actions(_ fixture: Fixture) async throws -> [String] {
        try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100).map(\.action)
    }

    /// Posts `fields` with the CSRF token of the session's settings page.
    static func submit(_ browser: DashboardBrowser, _ path: String, _ fields: [(String, String)]) async throws -> TestResponse {
        let token = try await browser.sessionToken()
        return try await browser.post(path, fields: [("csrf", token)] + fields)
    }

    /// The text of the read-only field that shows a secret once.
    static func shownSecret(_ response: TestResponse) -> String? {
        let html = text(response)
        guard let start = html.range(of: "<textarea id=\"secret\" class=\"secret\" readonly rows=\"2\" spellcheck=\"false\">") else { return nil }
        let rest = html[start.upperBound...]
        return rest.range(of: "</textarea>").map { String(rest[..<$0.lowerBound]) }
    }

    static func ownerSignedIn(_ client: any TestClientProtocol) async throws -> DashboardBrowser {
        let browser = DashboardBrowser(client)
        let login = try await browser.logIn(owner, Fixture.password)
        #expect(login.status == .seeOther)
        return browser
    }

    // MARK: Access

    @Test("an owner sees every settings page")
    func ownerPages() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        let things = try await Self.things(fixture)
        let (pages, _) = Self.routes(endpoint: things.endpoint.id, delivery: things.delivery.number, key: things.key.prefix, user: things.marketer.id)

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            for path in pages {
                let page = try await ann.get(path)

                #expect(page.status == .ok, "\(path)")
                #expect(page.headers[.contentSecurityPolicy] == fixture.dependencies.dashboardRenderer.contentSecurityPolicy)
                #expect(text(page).contains("aria-current=\"page\">Settings"), "\(path) marks the settings menu")
            }
            let numbers = text(try await ann.get("/dashboard/settings/numbers"))
            let hooks = text(try await ann.get("/dashboard/settings/webhooks"))
            let hook = text(try await ann.get("/dashboard/settings/webhooks/\(things.endpoint.id)"))
            let keys = text(try await ann.get("/dashboard/settings/keys"))
            let users = text(try await ann.get("/dashboard/settings/users"))
            let email = text(try await ann.get("/dashboard/settings/email"))

            #expect(numbers.contains("+31201234567"))
            #expect(numbers.contains("A secret is set"))
            #expect(hooks.contains(things.endpoint.url))
            #expect(hook.contains("Event 1"))
            #expect(hook.contains("Waiting"))
            #expect(keys.contains("\(things.key.prefix)…"))
            #expect(keys.contains("platform"))
            #expect(users.contains("mia@acme.example"))
            #expect(users.contains("ann@acme.example <span class=\"ref\">(you)</span>"))
            #expect(email.contains("ops@acme.example"))
        }
    }

    @Test("a marketer gets the 404 of a missing page for every settings GET and POST, and nothing changes")
    func marketer() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        let things = try await Self.things(fixture)
        let (pages, posts) = Self.routes(endpoint: things.endpoint.id, delivery: things.delivery.number, key: things.key.prefix, user: things.marketer.id)
        let before = try await Self.snapshot(fixture)

        try await fixture.application().test(.router) { client in
            let mia = DashboardBrowser(client)
            _ = try await mia.logIn("mia@acme.example", Fixture.password)
            let missing = try await mia.get("/dashboard/settings/no-such-page")
            for path in pages {
                let page = try await mia.get(path)

                #expect(page.status == .notFound, "\(path)")
                #expect(text(page) == text(missing), "\(path)")
            }
            for (path, fields) in posts {
                let answer = try await Self.submit(mia, path, fields)

                #expect(answer.status == .notFound, "\(path)")
                #expect(text(answer).contains("There is no such page on your dashboard."), "\(path)")
            }
            let overview = text(try await mia.get("/dashboard"))
            #expect(!overview.contains("/dashboard/settings/keys"))
        }
        #expect(try await Self.snapshot(fixture) == before)
        #expect(try await Self.actions(fixture) == ["login"])
    }

    @Test("every settings POST without this session's CSRF token, or over the form limit, is refused and changes nothing")
    func csrf() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        try await fixture.user("bea@acme.example")
        let things = try await Self.things(fixture)
        let (_, posts) = Self.routes(endpoint: things.endpoint.id, delivery: things.delivery.number, key: things.key.prefix, user: things.marketer.id)
        let before = try await Self.snapshot(fixture)

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let bea = DashboardBrowser(client)
            _ = try await bea.logIn("bea@acme.example", Fixture.password)
            let beasToken = try await bea.sessionToken()
            let annsToken = try await ann.sessionToken()
            let forged = annsToken.dropLast(4) + "AAAA"
            for (path, fields) in posts {
                let none = try await ann.post(path, fields: fields)
                let othersSession = try await ann.post(path, fields: [("csrf", beasToken)] + fields)
                let tampered = try await ann.post(path, fields: [("csrf", String(forged))] + fields)
                let oversized = try await ann.post(
                    path, fields: [("csrf", annsToken)] + fields + [("padding", String(repeating: "x", count: DashboardController.maximumFormBytes))]
                )

                for answer in [none, othersSession, tampered] {
                    #expect(answer.status == .forbidden, "\(path)")
                    #expect(text(answer).contains("Nothing was changed"), "\(path)")
                }
                #expect(oversized.status == .contentTooLarge, "\(path)")
                #expect(text(oversized).contains("The form is too long"), "\(path)")
            }
        }
        #expect(try await Self.snapshot(fixture) == before)
        #expect(try await Self.actions(fixture) == ["login", "login"])
    }

    @Test("another company's endpoint, delivery, key, user, number and address answer 404 and stay as they were")
    func otherCompany() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        let theirs = try await Self.things(fixture, company: other.id, suffix: "-other")
        let before = try await Self.snapshot(fixture, company: other.id)
        let hook = "/dashboard/settings/webhooks/\(theirs.endpoint.id)"
        let posts: [(String, [(String, String)])] = [
            ("\(hook)/remove", []), ("\(hook)/pause", []), ("\(hook)/resume", []), ("\(hook)/secret", []), ("\(hook)/test", []),
            ("\(hook)/deliveries/\(theirs.delivery.number)/retry", []),
            ("/dashboard/settings/keys/\(theirs.key.prefix)/revoke", []),
            ("/dashboard/settings/users/\(theirs.marketer.id)/role", [("role", "owner")]),
            ("/dashboard/settings/users/\(theirs.marketer.id)/password", []),
            ("/dashboard/settings/users/\(theirs.marketer.id)/remove", []),
            ("/dashboard/settings/numbers/remove", [("number", "+31201234569")]),
            ("/dashboard/settings/email/update", [("address", "ops-other@acme.example"), ("digest", "on")]),
            ("/dashboard/settings/email/remove", [("address", "ops-other@acme.example")]),
        ]

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let page = try await ann.get(hook)
            let missing = try await ann.get("/dashboard/settings/webhooks/we_nothing")
            #expect(page.status == .notFound)
            #expect(text(page) == text(missing))
            for (path, fields) in posts {
                let answer = try await Self.submit(ann, path, fields)

                #expect(answer.status == .notFound, "\(path)")
            }
            // Our own endpoint and another company's delivery number: still not theirs.
            let ours = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: "https://hooks.example/ours", description: "", eventTypes: [], at: fixture.clock.now()
            )
            let retry = try await Self.submit(ann, "/dashboard/settings/webhooks/\(ours.id)/deliveries/\(theirs.delivery.number)/retry", [])
            #expect(retry.status == .notFound)
            let lists = try await [ann.get("/dashboard/settings/numbers"), ann.get("/dashboard/settings/keys"), ann.get("/dashboard/settings/users"),
                                   ann.get("/dashboard/settings/email"), ann.get("/dashboard/settings/webhooks")].map(text)
            for list in lists {
                for secret in [theirs.key.prefix, theirs.marketer.email, "ops-other@acme.example", theirs.endpoint.url, "+31201234569"] {
                    #expect(!list.contains(secret))
                }
            }
        }
        #expect(try await Self.snapshot(fixture, company: other.id) == before)
        #expect(try await Self.actions(fixture) == ["login"])
    }

    // MARK: Numbers

    @Test("a number is added in E.164, refused next to its field when unreadable or taken, removed; the inbound secret is shown once")
    func numbers() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        let other = try await fixture.store.createCompany(name: "Globex", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        _ = try await fixture.store.addNumber(companyID: other.id, number: "+4915112345678", at: fixture.clock.now())

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let added = try await Self.submit(ann, "/dashboard/settings/numbers", [("number", " +31 20 123 4568 ")])
            let short = try await Self.submit(ann, "/dashboard/settings/numbers", [("number", "36111")])
            let unreadable = try await Self.submit(ann, "/dashboard/settings/numbers", [("number", "0612345678")])
            let taken = try await Self.submit(ann, "/dashboard/settings/numbers", [("number", "+49 151 12345678")])

            #expect(added.status == .seeOther)
            #expect(added.headers[.location] == "/dashboard/settings/numbers?done=added")
            #expect(short.status == .seeOther)
            #expect(unreadable.status == .unprocessableContent)
            #expect(text(unreadable).contains("id=\"number-error\">The number must be E.164"))
            #expect(text(unreadable).contains("value=\"0612345678\""))
            #expect(taken.status == .conflict)
            #expect(text(taken).contains("This number cannot be added."))
            #expect(!text(taken).contains("Globex"))
            #expect(try await fixture.store.numbers(companyID: fixture.company.id).sorted() == ["+31201234568", "36111"])
            #expect(try await fixture.store.numbers(companyID: other.id) == ["+4915112345678"])

            let page = text(try await ann.get("/dashboard/settings/numbers?done=added"))
            #expect(page.contains("The number was added."))
            let removed = try await Self.submit(ann, "/dashboard/settings/numbers/remove", [("number", "36111")])
            let again = try await Self.submit(ann, "/dashboard/settings/numbers/remove", [("number", "36111")])
            #expect(removed.status == .seeOther)
            #expect(again.status == .notFound)
            #expect(try await fixture.store.numbers(companyID: fixture.company.id) == ["+31201234568"])

            let rotated = try await Self.submit(ann, "/dashboard/settings/numbers/secret", [])
            let secret = try #require(Self.shownSecret(rotated))
            #expect(rotated.status == .ok)
            #expect(rotated.headers[.cacheControl] == "no-store")
            #expect(secret.hasPrefix("whsec_"))
            #expect(try await fixture.store.inboundSecret(companyID: fixture.company.id) == secret)
            let later = text(try await ann.get("/dashboard/settings/numbers"))
            #expect(!later.contains(secret))
            #expect(later.contains("A secret is set"))
            #expect(!text(try await ann.get("/dashboard/settings/audit")).contains(secret))
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100)
        #expect(audit.map(\.action) == ["inbound_secret_rotated", "number_removed", "number_added", "number_added", "login"])
        #expect(audit.allSatisfy { !$0.detail.contains("whsec_") })
        #expect(fixture.logs.lines.allSatisfy { !$0.message.contains("whsec_") && !$0.metadata.values.contains { $0.contains("whsec_") } })
    }

    // MARK: Webhooks

    @Test("an endpoint is checked by the webhook URL policy; a bad URL or no event type is shown next to its field and nothing is saved")
    func badEndpoint() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let notURL = try await Self.submit(ann, "/dashboard/settings/webhooks", [("url", "hooks example"), ("type_optout_created", "on")])
            let userInfo = try await Self.submit(
                ann, "/dashboard/settings/webhooks", [("url", "https://user:pw@127.0.0.1/hook"), ("type_optout_created", "on")]
            )
            let tooLong = try await Self.submit(
                ann, "/dashboard/settings/webhooks",
                [("url", "https://127.0.0.1/" + String(repeating: "a", count: 2_001)), ("type_optout_created", "on")]
            )
            let noTypes = try await Self.submit(ann, "/dashboard/settings/webhooks", [("url", "https://127.0.0.1/hook"), ("description", "crm")])

            for answer in [notURL, userInfo, tooLong] {
                #expect(answer.status == .unprocessableContent)
                #expect(text(answer).contains("id=\"url-error\">This URL cannot receive webhooks: "))
                #expect(text(answer).contains("aria-invalid=\"true\""))
            }
            #expect(text(notURL).contains("not an absolute URL"))
            #expect(text(userInfo).contains("must not carry a user name or password"))
            #expect(text(tooLong).contains("at most 2,000 characters"))
            #expect(noTypes.status == .unprocessableContent)
            #expect(text(noTypes).contains("id=\"types-error\">Choose at least one kind of event."))
            #expect(text(noTypes).contains("value=\"https://127.0.0.1/hook\""))
            #expect(text(noTypes).contains("value=\"crm\""))
        }
        #expect(try await fixture.store.endpoints(companyID: fixture.company.id).isEmpty)
        #expect(try await Self.actions(fixture) == ["login"])
    }

    @Test("an endpoint's secret is shown once; a test event goes out signed and shows in the log, failed or delivered")
    func addAndTest() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        let receiver = WebhookReceiver()

        try await receiver.run { url in
            try await fixture.application().test(.router) { client in
                let ann = try await Self.ownerSignedIn(client)
                let created = try await Self.submit(
                    ann, "/dashboard/settings/webhooks",
                    [("url", url), ("description", "CRM sync"), ("type_optout_created", "on"), ("type_optout_revoked", "on")]
                )
                let secret = try #require(Self.shownSecret(created))
                let endpoint = try #require(try await fixture.store.endpoints(companyID: fixture.company.id).first)
                let path = "/dashboard/settings/webhooks/\(endpoint.id)"

                #expect(created.status == .ok)
                #expect(created.headers[.cacheControl] == "no-store")
                #expect(secret == endpoint.secret)
                #expect(endpoint.url == url)
                #expect(endpoint.description == "CRM sync")
                #expect(endpoint.eventTypes == WebhookEventType.all)
                #expect(text(created).contains("href=\"\(path)\""))

                let tested = try await Self.submit(ann, "\(path)/test", [])
                receiver.script([.init(status: .serviceUnavailable)])
                let failedTest = try await Self.submit(ann, "\(path)/test", [])
                let log = try await ann.get("\(path)?done=tested")

                #expect(tested.status == .seeOther)
                #expect(tested.headers[.location] == "\(path)?done=tested")
                #expect(failedTest.status == .seeOther)
                let received = try #require(receiver.received.first)
                #expect(receiver.received.count == 2)
                #expect(received.id.hasPrefix("msg_test_"))
                #expect(WebhookSignature.verify(
                    header: received.signature, id: received.id, timestamp: Int(received.timestamp) ?? 0, body: received.body,
                    secret: secret, now: fixture.clock.now()
                ))
                #expect(String(decoding: received.body, as: UTF8.self).contains("\"type\":\"webhook.test\""))
                let page = text(log)
                #expect(page.contains("A test event was sent"))
                #expect(page.contains(received.id))
                #expect(page.contains("answered 200"))
                #expect(page.contains("answered 503: noted"))
                #expect(page.contains("<tr class=\"failed\"><th scope=\"row\">Test event"))
                #expect(!page.contains(secret))
                #expect(!text(try await ann.get("/dashboard/settings/webhooks")).contains(secret))
                #expect(!text(try await ann.get("/dashboard/settings/audit")).contains(secret))
            }
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100)
        #expect(audit.map(\.action) == ["webhook_test_sent", "webhook_test_sent", "webhook_added", "login"])
        #expect(audit[1].detail.hasSuffix("delivered"))
        #expect(audit[0].detail.hasSuffix("not delivered"))
        #expect(audit.allSatisfy { !$0.detail.contains("whsec_") && !$0.detail.contains("/hook") })
        #expect(fixture.logs.lines.allSatisfy { !$0.message.contains("whsec_") && !$0.metadata.values.contains { $0.contains("whsec_") } })
    }

    @Test("a test event to an endpoint that does not answer is logged as failed with the reason, sent here or through the API")
    func unreachable() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let endpoint = try await fixture.store.createEndpoint(
            companyID: fixture.company.id, url: "http://127.0.0.1:1/hook", description: "", eventTypes: [],
            at: fixture.clock.now()
        )
        let path = "/dashboard/settings/webhooks/\(endpoint.id)"

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let tested = try await Self.submit(ann, "\(path)/test", [])
            let key = try await fixture.store.createKey(companyID: fixture.company.id, name: "", at: fixture.clock.now()).key
            let throughAPI = try await client.execute(
                uri: "/api/v1/webhooks/\(endpoint.id)/test", method: .post, headers: [.authorization: "Bearer \(key)"]
            )
            let page = text(try await ann.get(path))

            #expect(tested.status == .seeOther)
            #expect(throughAPI.status == .ok)
            #expect(page.components(separatedBy: "<tr class=\"failed\"><th scope=\"row\">Test event").count == 3)
            #expect(page.contains("could not reach the endpoint"))
        }
        let tests = try await fixture.store.testDeliveries(endpointID: endpoint.id, limit: 10)
        #expect(tests.count == 2)
        #expect(tests.allSatisfy { !$0.succeeded && $0.statusCode == nil })
    }

    @Test("the delivery log shows a failing delivery's error and next try; retry sends it again; pause, resume, rotate and remove")
    func deliveryLog() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        let receiver = WebhookReceiver()
        let dispatcher = fixture.dependencies.webhooks

        try await receiver.run { url in
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.clock.now()
            )
            let path = "/dashboard/settings/webhooks/\(endpoint.id)"
            try await fixture.application().test(.router) { client in
                let ann = try await Self.ownerSignedIn(client)
                receiver.script([.init(status: .gone)])
                _ = try await fixture.store.recordOptOut(OptOutRequest(
                    companyID: fixture.company.id, phone: PhoneNumber(trustedE164: Fixture.phone), scope: .marketing, source: .api,
                    occurredAt: fixture.clock.now()
                ))
                await dispatcher.runOnce()
                let failed = text(try await ann.get(path))

                #expect(failed.contains("<tr class=\"failed\"><th scope=\"row\">Event 1 <span class=\"ref\">delivery 1</span>"))
                #expect(failed.contains("the endpoint answered 410 Gone and was disabled"))
                #expect(failed.contains("Paused (answered 410 Gone)"))
                #expect(failed.contains("action=\"\(path)/deliveries/1/retry\""))

                let resumed = try await Self.submit(ann, "\(path)/resume", [])
                let retried = try await Self.submit(ann, "\(path)/deliveries/1/retry", [])
                let unknown = try await Self.submit(ann, "\(path)/deliveries/99/retry", [])
                let garbled = try await Self.submit(ann, "\(path)/deliveries/one/retry", [])
                await dispatcher.runOnce()
                let delivered = text(try await ann.get(path))

                #expect(resumed.status == .seeOther)
                #expect(retried.status == .seeOther)
                #expect(retried.headers[.location] == "\(path)?done=retried")
                #expect(unknown.status == .notFound)
                #expect(garbled.status == .notFound)
                #expect(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 1).first?.status == .succeeded)
                #expect(delivered.contains("Delivered"))
                #expect(!delivered.contains("action=\"\(path)/deliveries/1/retry\""))

                receiver.script([.init(status: .internalServerError)])
                _ = try await fixture.store.recordOptOut(OptOutRequest(
                    companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31687654321"), scope: .marketing, source: .api,
                    occurredAt: fixture.clock.now()
                ))
                await dispatcher.runOnce()
                let retrying = text(try await ann.get(path))
                #expect(retrying.contains("Retrying"))
                #expect(retrying.contains("answered 500: noted"))
                #expect(retrying.contains("action=\"\(path)/deliveries/2/retry\""))

                let paused = try await Self.submit(ann, "\(path)/pause", [])
                _ = try await fixture.store.recordOptOut(OptOutRequest(
                    companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31611223344"), scope: .marketing, source: .api,
                    occurredAt: fixture.clock.now()
                ))
                #expect(paused.status == .seeOther)
                #expect(try await fixture.store.endpoint(id: endpoint.id, companyID: fixture.company.id)?.enabled == false)
                #expect(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 10).count == 2, "a paused endpoint gets nothing new")
                #expect(text(try await ann.get("\(path)?done=paused")).contains("The endpoint is paused."))

                let rotated = try await Self.submit(ann, "\(path)/secret", [])
                let newSecret = try #require(Self.shownSecret(rotated))
                #expect(rotated.headers[.cacheControl] == "no-store")
                #expect(newSecret != endpoint.secret)
                #expect(try await fixture.store.endpoint(id: endpoint.id, companyID: fixture.company.id)?.signingSecrets(at: fixture.clock.now())
                    == [newSecret, endpoint.secret])

                let removed = try await Self.submit(ann, "\(path)/remove", [])
                #expect(removed.headers[.location] == "/dashboard/settings/webhooks?done=removed")
                #expect(try await fixture.store.endpoints(companyID: fixture.company.id).isEmpty)
                #expect(try await ann.get(path).status == .notFound)
            }
        }
        #expect(try await Self.actions(fixture) == [
            "webhook_removed", "webhook_secret_rotated", "webhook_paused", "webhook_delivery_retried", "webhook_resumed", "login",
        ])
    }

    // MARK: Keys

    @Test("a new API key is shown once, works, is kept only as a hash, never shows again, and is revoked")
    func keys() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let tooLong = try await Self.submit(ann, "/dashboard/settings/keys", [("name", String(repeating: "n", count: 101))])
            #expect(tooLong.status == .unprocessableContent)
            #expect(text(tooLong).contains("id=\"name-error\">The name must be at most 100 characters."))
            #expect(try await fixture.store.keys(companyID: fixture.company.id).isEmpty)

            let created = try await Self.submit(ann, "/dashboard/settings/keys", [("name", "  CRM sync  ")])
            let key = try #require(Self.shownSecret(created))
            let stored = try #require(try await fixture.store.keys(companyID: fixture.company.id).first)
            let api = try await client.execute(uri: "/api/v1/company", method: .get, headers: [.authorization: "Bearer \(key)"])

            #expect(created.status == .ok)
            #expect(created.headers[.cacheControl] == "no-store")
            #expect(APIKey.prefix(of: key) == stored.prefix)
            #expect(stored.hash == APIKey.hash(key))
            #expect(stored.hash != key)
            #expect(stored.name == "CRM sync")
            #expect(api.status == .ok)

            let list = text(try await ann.get("/dashboard/settings/keys"))
            #expect(!list.contains(key))
            #expect(list.contains("\(stored.prefix)…"))
            #expect(list.contains("CRM sync"))
            #expect(!text(try await ann.get("/dashboard/settings/audit")).contains(key))

            let revoked = try await Self.submit(ann, "/dashboard/settings/keys/\(stored.prefix)/revoke", [])
            let refused = try await client.execute(uri: "/api/v1/company", method: .get, headers: [.authorization: "Bearer \(key)"])
            let unknown = try await Self.submit(ann, "/dashboard/settings/keys/sk_00000000/revoke", [])

            #expect(revoked.headers[.location] == "/dashboard/settings/keys?done=revoked")
            #expect(refused.status == .unauthorized)
            #expect(unknown.status == .notFound)
            #expect(text(try await ann.get("/dashboard/settings/keys")).contains("Revoked "))
            #expect(fixture.logs.lines.allSatisfy { !$0.message.contains(key) && !$0.metadata.values.contains { $0.contains(key) } })
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100)
        #expect(audit.map(\.action) == ["key_revoked", "key_created", "login"])
    }

    // MARK: Users

    @Test("a user is added with a password generated and shown once, or set by the owner; bad input is shown next to its field")
    func addUsers() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)
        let other = try await fixture.store.createCompany(name: "Globex", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        try await fixture.user("eve@globex.example", company: other.id)

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let badEmail = try await Self.submit(ann, "/dashboard/settings/users", [("email", "bob at acme"), ("role", "marketer"), ("password_mode", "generate")])
            let badRole = try await Self.submit(ann, "/dashboard/settings/users", [("email", "bob@acme.example"), ("role", "admin"), ("password_mode", "generate")])
            let shortPassword = try await Self.submit(
                ann, "/dashboard/settings/users", [("email", "bob@acme.example"), ("role", "marketer"), ("password_mode", "set"), ("password", "short")]
            )
            let taken = try await Self.submit(ann, "/dashboard/settings/users", [("email", "EVE@globex.example"), ("role", "marketer"), ("password_mode", "generate")])

            #expect(badEmail.status == .unprocessableContent)
            #expect(text(badEmail).contains("id=\"email-error\">"))
            #expect(badRole.status == .unprocessableContent)
            #expect(text(badRole).contains("id=\"role-error\">Choose owner or marketer."))
            #expect(shortPassword.status == .unprocessableContent)
            #expect(text(shortPassword).contains("id=\"password-error\">The password must be at least 12 characters."))
            #expect(!text(shortPassword).contains("value=\"short\""))
            #expect(taken.status == .conflict)
            #expect(!text(taken).contains("Globex"))
            #expect(try await fixture.store.users(companyID: fixture.company.id).map(\.email) == [Self.owner])

            let generated = try await Self.submit(
                ann, "/dashboard/settings/users", [("email", " Bob@Acme.example "), ("role", "marketer"), ("password_mode", "generate")]
            )
            let password = try #require(Self.shownSecret(generated))
            let set = try await Self.submit(
                ann, "/dashboard/settings/users",
                [("email", "cy@acme.example"), ("role", "owner"), ("password_mode", "set"), ("password", "a long password of cy")]
            )

            #expect(generated.status == .ok)
            #expect(generated.headers[.cacheControl] == "no-store")
            #expect(Password.problem(password) == nil)
            #expect(set.headers[.location] == "/dashboard/settings/users?done=added")
            let users = try await fixture.store.users(companyID: fixture.company.id).sorted { $0.email < $1.email }
            #expect(users.map(\.email) == [Self.owner, "bob@acme.example", "cy@acme.example"])
            #expect(users.map(\.role) == [.owner, .marketer, .owner])
            #expect(!text(try await ann.get("/dashboard/settings/users")).contains(password))
            #expect(!text(try await ann.get("/dashboard/settings/audit")).contains(password))

            let bob = try await DashboardBrowser(client).logIn("bob@acme.example", password)
            let cy = try await DashboardBrowser(client).logIn("cy@acme.example", "a long password of cy")
            #expect(bob.status == .seeOther)
            #expect(cy.status == .seeOther)
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100)
        #expect(Array(audit.map(\.action).suffix(3)) == ["user_added", "user_added", "login"])
        #expect(audit.contains { $0.action == "user_added" && $0.detail == "bob@acme.example (marketer)" })
        #expect(!audit.contains { $0.detail.contains("a long password of cy") })
        #expect(fixture.logs.lines.allSatisfy { !$0.message.contains("a long password of cy") })
    }

    @Test("a role changes; the last owner cannot demote or remove themselves; a reset or removal ends the user's sessions")
    func manageUsers() async throws {
        let fixture = try await Fixture.dashboard()
        let owner = try await fixture.user(Self.owner)
        let bob = try await fixture.user("bob@acme.example", role: .marketer)

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let bobs = DashboardBrowser(client)
            _ = try await bobs.logIn(bob.email, Fixture.password)

            let demoteSelf = try await Self.submit(ann, "/dashboard/settings/users/\(owner.id)/role", [("role", "marketer")])
            let removeSelf = try await Self.submit(ann, "/dashboard/settings/users/\(owner.id)/remove", [])
            let badRole = try await Self.submit(ann, "/dashboard/settings/users/\(bob.id)/role", [("role", "admin")])

            #expect(demoteSelf.status == .conflict)
            #expect(text(demoteSelf).contains("id=\"error-\(owner.id)\">This is the company&#39;s last owner: make another user an owner first."))
            #expect(text(removeSelf).contains("last owner: make another user an owner first."))
            #expect(removeSelf.status == .conflict)
            #expect(badRole.status == .unprocessableContent)
            #expect(try await fixture.store.user(id: owner.id)?.role == .owner)
            #expect(try await bobs.get("/dashboard").status == .ok)

            let promoted = try await Self.submit(ann, "/dashboard/settings/users/\(bob.id)/role", [("role", "owner")])
            #expect(promoted.headers[.location] == "/dashboard/settings/users?done=role")
            #expect(try await fixture.store.user(id: bob.id)?.role == .owner)
            #expect(try await bobs.get("/dashboard/settings/users").status == .ok, "the new role holds at once")

            let reset = try await Self.submit(ann, "/dashboard/settings/users/\(bob.id)/password", [])
            let newPassword = try #require(Self.shownSecret(reset))
            #expect(reset.headers[.cacheControl] == "no-store")
            #expect(try await bobs.get("/dashboard").status == .seeOther, "the reset ended bob's session")
            #expect(try await DashboardBrowser(client).logIn(bob.email, Fixture.password).status == .unauthorized)
            #expect(try await bobs.logIn(bob.email, newPassword).status == .seeOther)

            let removed = try await Self.submit(ann, "/dashboard/settings/users/\(bob.id)/remove", [])
            #expect(removed.headers[.location] == "/dashboard/settings/users?done=removed")
            #expect(try await bobs.get("/dashboard").status == .seeOther, "removal ended bob's session")
            #expect(try await fixture.store.user(id: bob.id) == nil)
            #expect(!text(try await ann.get("/dashboard/settings/audit")).contains(newPassword))
        }
        #expect(try await Self.actions(fixture).filter { !$0.hasPrefix("login") } == ["user_removed", "user_password_reset", "user_role_changed"])
    }

    @Test("an owner who is not the last may demote or remove themselves, and lands outside the owners' pages")
    func leaveOwnership() async throws {
        let fixture = try await Fixture.dashboard()
        let ann = try await fixture.user(Self.owner)
        let bea = try await fixture.user("bea@acme.example")
        let cy = try await fixture.user("cy@acme.example")

        try await fixture.application().test(.router) { client in
            let annsBrowser = try await Self.ownerSignedIn(client)
            let beasBrowser = DashboardBrowser(client)
            _ = try await beasBrowser.logIn(bea.email, Fixture.password)
            let cysBrowser = DashboardBrowser(client)
            _ = try await cysBrowser.logIn(cy.email, Fixture.password)

            let demoted = try await Self.submit(annsBrowser, "/dashboard/settings/users/\(ann.id)/role", [("role", "marketer")])
            let nowMarketer = try await annsBrowser.get("/dashboard/settings/users")
            let beaLeaves = try await Self.submit(beasBrowser, "/dashboard/settings/users/\(bea.id)/remove", [])
            let cyStays = try await Self.submit(cysBrowser, "/dashboard/settings/users/\(cy.id)/remove", [])

            #expect(demoted.headers[.location] == "/dashboard")
            #expect(nowMarketer.status == .notFound)
            #expect(beaLeaves.status == .seeOther)
            #expect(beaLeaves.headers[.location] == "/dashboard/login")
            #expect(beasBrowser.cookies["stoplink_session"] == nil)
            #expect(cyStays.status == .conflict, "the last owner cannot leave")
        }
        #expect(try await fixture.store.user(id: ann.id)?.role == .marketer)
        #expect(try await fixture.store.user(id: bea.id) == nil)
        #expect(try await fixture.store.user(id: cy.id)?.role == .owner)
    }

    @Test("two owners who remove each other at the same moment leave the company one owner")
    func parallelRemovals() async throws {
        let fixture = try await Fixture.dashboard()
        let ann = try await fixture.user(Self.owner)
        let bea = try await fixture.user("bea@acme.example")

        try await fixture.application().test(.router) { client in
            let annsBrowser = try await Self.ownerSignedIn(client)
            let beasBrowser = DashboardBrowser(client)
            _ = try await beasBrowser.logIn(bea.email, Fixture.password)
            let annsToken = try await annsBrowser.sessionToken()
            let beasToken = try await beasBrowser.sessionToken()

            async let annRemovesBea = annsBrowser.post("/dashboard/settings/users/\(bea.id)/remove", fields: [("csrf", annsToken)])
            async let beaRemovesAnn = beasBrowser.post("/dashboard/settings/users/\(ann.id)/remove", fields: [("csrf", beasToken)])
            let answers = try await [annRemovesBea.status, beaRemovesAnn.status]

            // The loser is refused as the last owner, or finds its session already ended.
            #expect(answers.allSatisfy { $0 == .seeOther || $0 == .conflict }, "\(answers)")
        }
        let owners = try await fixture.store.users(companyID: fixture.company.id).filter { $0.role == .owner }
        #expect(owners.count == 1)
        #expect(try await Self.actions(fixture).filter { $0 == "user_removed" }.count == 1)
    }

    // MARK: Email

    @Test("an address is added with what it gets, changed per address, refused when it gets nothing or is not an address, removed")
    func email() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user(Self.owner)

        try await fixture.application().test(.router) { client in
            let ann = try await Self.ownerSignedIn(client)
            let badAddress = try await Self.submit(ann, "/dashboard/settings/email", [("address", "ops at acme"), ("forward", "on")])
            let nothing = try await Self.submit(ann, "/dashboard/settings/email", [("address", "ops@acme.example")])
            #expect(badAddress.status == .unprocessableContent)
            #expect(text(badAddress).contains("id=\"address-error\">"))
            #expect(nothing.status == .unprocessableContent)
            #expect(text(nothing).contains("id=\"wants-error\">Choose at least one"))
            #expect(text(nothing).contains("value=\"ops@acme.example\""))
            #expect(try await fixture.store.emailRecipients(companyID: fixture.company.id).isEmpty)

            let added = try await Self.submit(ann, "/dashboard/settings/email", [("address", "Ops@Acme.example"), ("forward", "on"), ("digest", "on")])
            #expect(added.headers[.location] == "/dashboard/settings/email?done=added")
            #expect(try await fixture.store.emailRecipients(companyID: fixture.company.id).map { [$0.forward, $0.digest] } == [[true, true]])

            let digestOnly = try await Self.submit(ann, "/dashboard/settings/email/update", [("address", "ops@acme.example"), ("digest", "on")])
            let none = try await Self.submit(ann, "/dashboard/settings/email/update", [("address", "ops@acme.example")])
            let unknown = try await Self.submit(ann, "/dashboard/settings/email/update", [("address", "who@acme.example"), ("digest", "on")])

            #expect(digestOnly.headers[.location] == "/dashboard/settings/email?done=saved")
            #expect(none.status == .unprocessableContent)
            #expect(text(none).contains("id=\"recipient-error-0\">Choose at least one"))
            #expect(unknown.status == .notFound)
            let recipients = try await fixture.store.emailRecipients(companyID: fixture.company.id)
            #expect(recipients.map { [$0.forward, $0.digest] } == [[false, true]])
            let page = text(try await ann.get("/dashboard/settings/email?done=saved"))
            #expect(page.contains("The choice was saved."))
            #expect(page.contains("name=\"digest\" value=\"on\" checked"))

            let removed = try await Self.submit(ann, "/dashboard/settings/email/remove", [("address", "OPS@acme.example")])
            let again = try await Self.submit(ann, "/dashboard/settings/email/remove", [("address", "ops@acme.example")])
            #expect(removed.headers[.location] == "/dashboard/settings/email?done=removed")
            #expect(again.status == .notFound)
            #expect(try await fixture.store.emailRecipients(companyID: fixture.company.id).isEmpty)
        }
        let audit = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 100)
        #expect(audit.map(\.action) == ["email_recipient_removed", "email_recipient_changed", "email_recipient_added", "login"])
        #expect(audit[1].detail == "Ops@Acme.example: daily digest")
    }
}
