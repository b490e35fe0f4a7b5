import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

extension Fixture {
    /// Runs `body` with a browser signed in as a new user `email` of `role`, and its CSRF token.
    func signedIn(
        _ email: String = "ann@acme.example", role: UserRole = .owner,
        _ body: @escaping @Sendable (DashboardBrowser, String, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await user(email, role: role)
        try await application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn(email, Fixture.password)
            try await body(browser, try await browser.sessionToken(), client)
        }
    }
}

/// Every settings page and action that `CompanySettingsPages.swift` serves.
@Suite("The dashboard's company settings: company, reasons, texts, message rules")
struct DashboardSettingsTests {
    /// Every form post of these pages, with fields that would change something if accepted.
    static let posts: [(String, [(String, String)])] = [
        ("/dashboard/settings/company", [("name", "Changed"), ("default_country", "DE"), ("default_language", "de")]),
        ("/dashboard/settings/reasons", [("key", "added"), ("label_en", "Added")]),
        ("/dashboard/settings/reasons/too_many", [("action", "retire")]),
        ("/dashboard/settings/texts", [("lang", "en"), ("page_text", "Changed"), ("action", "save")]),
        ("/dashboard/settings/rules", [("purpose_transactional", "1"), ("country_0", "FR"), ("line_0", "keyword")]),
    ]

    static let pages = ["/dashboard/settings", "/dashboard/settings/company", "/dashboard/settings/reasons",
                        "/dashboard/settings/texts", "/dashboard/settings/rules"]

    @Test("an owner sees every settings section; a marketer only company, reasons, texts and rules")
    func index() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.user("mia@acme.example", role: .marketer)

        try await fixture.application().test(.router) { client in
            let ann = DashboardBrowser(client)
            _ = try await ann.logIn("ann@acme.example", Fixture.password)
            let mia = DashboardBrowser(client)
            _ = try await mia.logIn("mia@acme.example", Fixture.password)

            let owner = try await ann.get("/dashboard/settings")
            let marketer = try await mia.get("/dashboard/settings")

            #expect(owner.status == .ok)
            #expect(marketer.status == .ok)
            for section in ["company", "reasons", "texts", "rules"] {
                #expect(text(owner).contains("href=\"/dashboard/settings/\(section)\""))
                #expect(text(marketer).contains("href=\"/dashboard/settings/\(section)\""))
            }
            for section in ["numbers", "webhooks", "keys", "users", "email", "audit"] {
                #expect(text(owner).contains("href=\"/dashboard/settings/\(section)\""))
                #expect(!text(marketer).contains("href=\"/dashboard/settings/\(section)\""))
            }
        }
    }

    @Test("an owner changes the name, country and language; the change is audited with who and what")
    func company() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.signedIn { ann, token, client in

            let saved = try await ann.post("/dashboard/settings/company", fields: [
                ("csrf", token), ("name", "  Acme Europe "), ("default_country", "de"), ("default_language", "de"),
            ])
            let page = try await ann.get(try #require(saved.headers[.location]))

            #expect(saved.status == .seeOther)
            #expect(page.status == .ok)
            #expect(text(page).contains("Saved."))
            #expect(text(page).contains("value=\"Acme Europe\""))
        }
        let company = try #require(try await fixture.store.company(id: fixture.company.id))
        #expect(company.name == "Acme Europe")
        #expect(company.defaultCountry == "DE")
        #expect(company.defaultLanguage == "de")
        let entry = try #require(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10).first)
        #expect(entry.action == "settings_company")
        #expect(entry.userEmail == "ann@acme.example")
        #expect(entry.detail.contains("name: Acme → Acme Europe"))
        #expect(entry.detail.contains("default_country: NL → DE"))
    }

    @Test("invalid company settings are shown next to their fields and nothing is saved")
    func invalidCompany() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.signedIn { ann, token, client in

            let refused = try await ann.post("/dashboard/settings/company", fields: [
                ("csrf", token), ("name", "   "), ("default_country", "ZZ"), ("default_language", "xx"),
            ])

            let html = text(refused)
            #expect(refused.status == .unprocessableContent)
            #expect(html.contains("<p class=\"field-error\" id=\"name-error\">The name must be 1–200 characters.</p>"))
            #expect(html.contains("id=\"default_country-error\">The default country must be an ISO 3166 alpha-2 code such as NL.</p>"))
            #expect(html.contains("id=\"default_language-error\">The default language must be one of en, es, fr, de, nl, ru.</p>"))
            #expect(html.contains("value=\"ZZ\""))
            #expect(html.contains("aria-invalid=\"true\""))
        }
        #expect(try await fixture.store.company(id: fixture.company.id) == fixture.company)
        #expect(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10).map(\.action) == ["login"])
    }

    @Test("a forged, missing or other session's CSRF token gets 403, an oversized form 413, on every post, and nothing changes")
    func forgedTokens() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.user("bob@acme.example")

        try await fixture.application().test(.router) { client in
            let ann = DashboardBrowser(client)
            _ = try await ann.logIn("ann@acme.example", Fixture.password)
            let bob = DashboardBrowser(client)
            _ = try await bob.logIn("bob@acme.example", Fixture.password)
            let bobsToken = try await bob.sessionToken()
            let annsToken = try await ann.sessionToken()

            for (path, fields) in Self.posts {
                let forged = try await ann.post(path, fields: [("csrf", "forged")] + fields)
                let missing = try await ann.post(path, fields: fields)
                let borrowed = try await ann.post(path, fields: [("csrf", bobsToken)] + fields)
                let oversized = try await ann.post(path, fields: [("csrf", annsToken)] + fields + [("pad", String(repeating: "x", count: 20_000))])

                for response in [forged, missing, borrowed] {
                    #expect(response.status == .forbidden, "\(path)")
                    #expect(text(response).contains("Nothing was changed"))
                }
                #expect(oversized.status == .contentTooLarge, "\(path)")
                #expect(text(oversized).contains("Nothing was changed"))
            }
        }
        #expect(try await fixture.store.company(id: fixture.company.id) == fixture.company)
    }

    @Test("a marketer reads every settings page without forms, and each post answers 404 and changes nothing")
    func marketer() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("mia@acme.example", role: .marketer)

        try await fixture.application().test(.router) { client in
            let mia = DashboardBrowser(client)
            _ = try await mia.logIn("mia@acme.example", Fixture.password)
            let token = try await mia.sessionToken()

            for path in Self.pages {
                let page = try await mia.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(!text(page).contains("<form method=\"post\" action=\"/dashboard/settings"), "\(path)")
            }
            for (path, fields) in Self.posts {
                let refused = try await mia.post(path, fields: [("csrf", token)] + fields)
                #expect(refused.status == .notFound, "\(path)")
                #expect(text(refused).contains("There is no such page on your dashboard."), "\(path)")
            }
        }
        #expect(try await fixture.store.company(id: fixture.company.id) == fixture.company)
        #expect(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10).map(\.action) == ["login"])
    }

    @Test("an owner of another company sees and changes only their own settings")
    func otherCompany() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.store.updateCompany(id: fixture.company.id) { company in
            company.reasons = [Reason(key: "acme_only", labels: ["en": "Acme's own reason"])]
        }
        let acme = try #require(try await fixture.store.company(id: fixture.company.id))
        let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        try await fixture.user("eve@other.example", company: other.id)

        try await fixture.application().test(.router) { client in
            let eve = DashboardBrowser(client)
            _ = try await eve.logIn("eve@other.example", Fixture.password)
            let token = try await eve.sessionToken()

            for path in Self.pages {
                let page = try await eve.get(path)
                #expect(page.status == .ok)
                #expect(!text(page).contains("Acme"), "\(path)")
            }
            let foreign = try await eve.post("/dashboard/settings/reasons/acme_only", fields: [("csrf", token), ("action", "retire")])
            let saved = try await eve.post("/dashboard/settings/company", fields: [
                ("csrf", token), ("name", "Other GmbH"), ("default_country", "DE"), ("default_language", "de"),
            ])

            #expect(foreign.status == .notFound)
            #expect(saved.status == .seeOther)
        }
        #expect(try await fixture.store.company(id: acme.id) == acme)
        #expect(try await fixture.store.company(id: other.id)?.name == "Other GmbH")
        #expect(try await fixture.store.auditLog(companyID: acme.id, limit: 10).isEmpty)
    }

    @Test("add, relabel, reorder, retire and offer again: the recipient page follows; history and counts stay")
    func reasons() async throws {
        let fixture = try await Fixture.dashboard()
        let code = fixture.link.code

        try await fixture.signedIn { ann, token, client in

            let added = try await ann.post("/dashboard/settings/reasons", fields: [
                ("csrf", token), ("key", "too_expensive"), ("label_en", "Too expensive"), ("label_de", ""),
            ])
            let offered = try await client.open("/\(code)")
            let relabelled = try await ann.post("/dashboard/settings/reasons/too_expensive", fields: [
                ("csrf", token), ("action", "relabel"), ("label_en", "Too pricey"), ("label_de", "Zu teuer"),
            ])
            let german = try await client.open("/\(code)?lang=de")
            let moved = try await ann.post("/dashboard/settings/reasons/too_expensive", fields: [("csrf", token), ("action", "up")])
            #expect(added.status == .seeOther)
            #expect(text(offered).contains("value=\"too_expensive\""))
            #expect(text(offered).contains("Too expensive"))
            #expect(relabelled.status == .seeOther)
            #expect(text(german).contains("Zu teuer"))
            #expect(moved.status == .seeOther)
            let order = try await fixture.store.company(id: fixture.company.id)?.reasons?.map(\.key)
            #expect(order == ["too_many", "not_relevant", "never_signed_up", "too_expensive", "other"])

            // An opt-out gives the reason; then it is retired.
            let optedOut = try await client.optOut(code: code, phone: Fixture.phone, reason: "too_expensive")
            let retired = try await ann.post("/dashboard/settings/reasons/too_expensive", fields: [("csrf", token), ("action", "retire")])
            let page = try await ann.get("/dashboard/settings/reasons")
            #expect(optedOut.status == .seeOther)
            #expect(retired.status == .seeOther)
            #expect(text(page).contains("Retired"))
            #expect(text(page).contains("Opt-outs giving it: 1"))
            let stored = try #require(try await fixture.store.company(id: fixture.company.id)?.reasons?.first { $0.key == "too_expensive" })
            #expect(stored.retired)
            #expect(stored.labels == ["en": "Too pricey", "de": "Zu teuer"])
            #expect(try await fixture.history().last?.reason == "too_expensive")
            let stats = try await fixture.store.stats(campaign: fixture.campaign, reasonTextLimit: 0, reasonTextsBefore: nil)
            #expect(stats.reasons.first { $0.key == "too_expensive" }?.count == 1)

            let restored = try await ann.post("/dashboard/settings/reasons/too_expensive", fields: [("csrf", token), ("action", "restore")])
            #expect(restored.status == .seeOther)
            #expect(try await fixture.store.company(id: fixture.company.id)?.reasons?.first { $0.key == "too_expensive" }?.retired == false)
        }
        let actions = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 20).map(\.action)
        #expect(actions == ["reason_restored", "reason_retired", "reason_moved", "reason_relabelled", "reason_added", "login"])
    }

    @Test("a retired reason is neither offered nor accepted on the recipient page")
    func retiredNotOffered() async throws {
        let fixture = try await Fixture.dashboard()
        let code = fixture.link.code

        try await fixture.signedIn { ann, token, client in

            let retired = try await ann.post("/dashboard/settings/reasons/never_signed_up", fields: [("csrf", token), ("action", "retire")])
            let page = try await client.open("/\(code)")
            let optedOut = try await client.optOut(code: code, phone: Fixture.phone, reason: "never_signed_up")

            #expect(retired.status == .seeOther)
            #expect(!text(page).contains("never_signed_up"))
            #expect(text(page).contains("too_many"))
            #expect(optedOut.status == .seeOther)
        }
        #expect(try await fixture.history().last?.reason == nil)
    }

    @Test("an invalid new reason or label is shown next to its field and nothing is saved")
    func invalidReasons() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.signedIn { ann, token, client in

            let badKey = try await ann.post("/dashboard/settings/reasons", fields: [("csrf", token), ("key", "Bad Key"), ("label_en", "")])
            let twice = try await ann.post("/dashboard/settings/reasons", fields: [("csrf", token), ("key", "too_many"), ("label_en", "Again")])
            let longLabel = try await ann.post("/dashboard/settings/reasons/other", fields: [
                ("csrf", token), ("action", "relabel"), ("label_en", String(repeating: "x", count: 201)),
            ])
            let unknown = try await ann.post("/dashboard/settings/reasons/no_such_reason", fields: [("csrf", token), ("action", "retire")])
            let badAction = try await ann.post("/dashboard/settings/reasons/other", fields: [("csrf", token), ("action", "explode")])

            #expect(badKey.status == .unprocessableContent)
            #expect(text(badKey).contains("id=\"key-error\">This key must be 1–40 characters of a-z, 0-9 and _.</p>"))
            #expect(text(badKey).contains("id=\"label-error\">This label must be 1–200 characters.</p>"))
            #expect(text(badKey).contains("value=\"Bad Key\""))
            #expect(twice.status == .unprocessableContent)
            #expect(text(twice).contains("This key is used twice."))
            #expect(longLabel.status == .unprocessableContent)
            #expect(text(longLabel).contains("id=\"error-other\">This label must be 1–200 characters.</p>"))
            #expect(unknown.status == .notFound)
            #expect(badAction.status == .badRequest)
        }
        #expect(try await fixture.store.company(id: fixture.company.id) == fixture.company)
        #expect(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10).map(\.action) == ["login"])
    }

    @Test("two owners adding reasons at the same moment both keep theirs")
    func parallelOwners() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.user("bob@acme.example")

        try await fixture.application().test(.router) { client in
            // One session each, so no browser's cookie jar is shared between requests.
            var owners: [(browser: DashboardBrowser, token: String, key: String)] = []
            for index in 0..<8 {
                let browser = DashboardBrowser(client)
                let email = index.isMultiple(of: 2) ? "ann@acme.example" : "bob@acme.example"
                _ = try await browser.logIn(email, Fixture.password)
                owners.append((browser, try await browser.sessionToken(), "\(email.prefix(3))_\(index / 2)"))
            }

            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for owner in owners {
                    group.addTask {
                        try await owner.browser.post("/dashboard/settings/reasons", fields: [
                            ("csrf", owner.token), ("key", owner.key), ("label_en", "Reason \(owner.key)"),
                        ]).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            #expect(statuses.allSatisfy { $0 == .seeOther })
        }
        let keys = Set(try await fixture.store.company(id: fixture.company.id)?.reasons?.map(\.key) ?? [])
        #expect(keys.isSuperset(of: (0..<4).flatMap { ["ann_\($0)", "bob_\($0)"] }))
        #expect(keys.count == 12)
    }

    @Test("texts: Preview shows the draft in a sandboxed frame without saving; Save stores; blank goes back to the standard")
    func texts() async throws {
        let fixture = try await Fixture.dashboard()
        let code = fixture.link.code

        try await fixture.signedIn { ann, token, client in
            let fields = [("csrf", token), ("lang", "de"), ("page_text", "Keine Werbung mehr <b>von uns</b>."),
                          ("confirmation_text", "Abgemeldet."), ("help_text", "")]

            let preview = try await ann.post("/dashboard/settings/texts", fields: fields + [("action", "preview")])
            let afterPreview = try await fixture.store.company(id: fixture.company.id)
            let saved = try await ann.post("/dashboard/settings/texts", fields: fields + [("action", "save")])
            let recipient = try await client.open("/\(code)?lang=de")
            let cleared = try await ann.post("/dashboard/settings/texts", fields: [
                ("csrf", token), ("lang", "de"), ("page_text", " "), ("confirmation_text", ""), ("help_text", ""), ("action", "save"),
            ])

            let html = text(preview)
            #expect(preview.status == .ok)
            #expect(html.contains("Preview of your draft (not saved)"))
            #expect(html.contains("<iframe class=\"page-preview\" title=\"Preview of the opt-out page\" sandbox srcdoc=\""))
            // The draft, escaped twice: once by the recipient page, once into the attribute.
            #expect(html.contains("Keine Werbung mehr &amp;lt;b&amp;gt;von uns&amp;lt;/b&amp;gt;."))
            #expect(html.contains("name=&quot;token&quot; value=&quot;&quot;"))
            #expect(html.contains("action=&quot;&quot;"))
            #expect(html.contains("<p class=\"sms\" id=\"preview-confirmation\">Abgemeldet.</p>"))
            let policy = try #require(preview.headers[.contentSecurityPolicy])
            #expect(policy == fixture.dependencies.dashboardRenderer.previewContentSecurityPolicy)
            #expect(policy.components(separatedBy: "'sha256-").count == 3)
            #expect(!policy.contains("script"))
            #expect(afterPreview == fixture.company)
            #expect(saved.status == .seeOther)
            #expect(text(recipient).contains("Keine Werbung mehr &lt;b&gt;von uns&lt;/b&gt;."))
            #expect(cleared.status == .seeOther)
        }
        let company = try #require(try await fixture.store.company(id: fixture.company.id))
        #expect(company.pageText["de"] == nil)
        #expect(company.confirmationText["de"] == nil)
        let entries = try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10)
        #expect(entries.map(\.action) == ["settings_texts", "settings_texts", "login"])
        #expect(entries[1].detail == "de: page_text, confirmation_text")
    }

    @Test("a text that is too long is shown next to its field, in preview and save alike, and nothing is saved")
    func invalidTexts() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.signedIn { ann, token, client in
            let long = String(repeating: "x", count: CompanySettingsChange.maximumTextLength + 1)

            for action in ["preview", "save"] {
                let refused = try await ann.post("/dashboard/settings/texts", fields: [
                    ("csrf", token), ("lang", "en"), ("page_text", "Fine"), ("help_text", long), ("action", action),
                ])
                #expect(refused.status == .unprocessableContent)
                #expect(text(refused).contains("id=\"help_text-error\">The help text: at most 2000 characters.</p>"))
            }
            let badLanguage = try await ann.post("/dashboard/settings/texts", fields: [
                ("csrf", token), ("lang", "xx"), ("page_text", "Hallo"), ("action", "save"),
            ])
            #expect(badLanguage.status == .unprocessableContent)
            #expect(text(badLanguage).contains("unknown language xx"))
        }
        #expect(try await fixture.store.company(id: fixture.company.id) == fixture.company)
    }

    @Test("message rules: purposes, short links, a rule per country and line texts are saved and audited")
    func rules() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.signedIn { ann, token, client in

            let saved = try await ann.post("/dashboard/settings/rules", fields: [
                ("csrf", token), ("purpose_marketing", "1"), ("purpose_informational", "1"), ("short_links", "1"),
                ("country_0", "fr"), ("line_0", "keyword"), ("short_code_0", "36111"),
                ("country_1", ""), ("line_1", ""), ("short_code_1", ""),
                ("text_key_0", "link:en"), ("text_0", "Opt out: {link}"), ("text_key_1", ""), ("text_1", ""),
            ])
            let page = try await ann.get("/dashboard/settings/rules")

            #expect(saved.status == .seeOther)
            #expect(text(page).contains("value=\"FR\""))
            #expect(text(page).contains("value=\"36111\""))
            // The example lines come from the prepare API's own rule, with the saved settings.
            #expect(text(page).contains("<td>Opt out: stp.example/k3m9x2q7vd</td><td>default: link, company text</td>"))
            #expect(text(page).contains("<th scope=\"row\">FR</th><td>Reply STOP to opt out</td><td>FR rule: keyword</td>"))
        }
        let rules = try #require(try await fixture.store.company(id: fixture.company.id)?.messageRules)
        #expect(rules == MessageRules(
            shortLinks: true, purposes: [.marketing, .informational],
            countries: ["FR": .init(line: .keyword, shortCode: "36111")], texts: ["link:en": "Opt out: {link}"]
        ))
        let entry = try #require(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 1).first)
        #expect(entry.action == "settings_rules")
        #expect(entry.detail.contains("FR=keyword/36111"))
    }

    @Test("invalid message rules are shown on their row and nothing is saved")
    func invalidRules() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.signedIn { ann, token, client in

            let refused = try await ann.post("/dashboard/settings/rules", fields: [
                ("csrf", token), ("purpose_marketing", "1"),
                ("country_0", "ZZ"), ("line_0", "link"), ("short_code_0", ""),
                ("country_1", "FR"), ("line_1", "pigeon"), ("short_code_1", "12"),
                ("country_2", "fr"), ("line_2", ""), ("short_code_2", ""),
                ("text_key_0", "link"), ("text_0", String(repeating: "y", count: 201)),
            ])

            let html = text(refused)
            #expect(refused.status == .unprocessableContent)
            #expect(html.contains("id=\"country_0-error\">This country ZZ is not an ISO 3166 alpha-2 code.</p>"))
            #expect(html.contains("id=\"line_1-error\">Choose the default, a reply keyword or the link.</p>"))
            #expect(html.contains("id=\"short_code_1-error\">This short code must be 3–8 digits.</p>"))
            #expect(html.contains("id=\"country_2-error\">This country is listed twice.</p>"))
            #expect(html.contains("id=\"text_0-error\">"))
            #expect(html.contains("value=\"ZZ\""))
        }
        #expect(try await fixture.store.company(id: fixture.company.id) == fixture.company)
        #expect(try await fixture.store.auditLog(companyID: fixture.company.id, limit: 10).map(\.action) == ["login"])
    }

    @Test("the API shows a retired reason as retired, takes one back the same way, and the page does not offer it")
    func retiredThroughTheAPI() async throws {
        let fixture = try await APIFixture()
        let patch = #"{"reasons": [{"key": "price", "label": "Too expensive", "retired": true}, {"key": "other", "label": "Other"}]}"#

        try await fixture.application().test(.router) { client in
            let changed = try await client.api(.patch, "/api/v1/company", key: fixture.key, json: patch)
            let read = try await client.api(.get, "/api/v1/company", key: fixture.key)
            let page = try await client.open("/\(fixture.base.link.code)")

            #expect(changed.status == .ok)
            let reasons = try #require(try json(read)["reasons"] as? [[String: Any]])
            #expect(reasons.map { $0["key"] as? String } == ["price", "other"])
            #expect(reasons[0]["retired"] as? Bool == true)
            #expect(reasons[1]["retired"] == nil)
            #expect(!text(page).contains("value=\"price\""))
            #expect(text(page).contains("value=\"other\""))
        }
        let stored = try await fixture.store.company(id: fixture.company.id)?.reasons
        #expect(stored == [Reason(key: "price", labels: ["en": "Too expensive"], retired: true), Reason(key: "other", labels: ["en": "Other"])])
    }

    @Test("settings changes and refusals are logged by action and field, never with the texts, labels or CSRF token")
    func logs() async throws {
        let fixture = try await Fixture.dashboard()
        let secretText = "Private wording 4711"

        try await fixture.signedIn { ann, token, _ in
            _ = try await ann.post("/dashboard/settings/texts", fields: [
                ("csrf", token), ("lang", "en"), ("page_text", secretText), ("action", "save"),
            ])
            _ = try await ann.post("/dashboard/settings/reasons", fields: [("csrf", token), ("key", "Bad Key"), ("label_en", secretText)])
            _ = try await ann.post("/dashboard/settings/reasons", fields: [("csrf", "forged"), ("key", "k"), ("label_en", secretText)])

            let lines = fixture.logs.lines
            let written = lines.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
            #expect(lines.contains { $0.message == "settings changed on the dashboard" && $0.metadata["action"] == "settings_texts" })
            #expect(lines.contains { $0.message == "refused invalid settings" && $0.metadata["fields"]?.contains("reasons[4].key") == true })
            #expect(lines.contains { $0.message == "refused a settings form without a valid CSRF token" })
            #expect(!written.contains(secretText))
            #expect(!written.contains(token))
        }
    }
}
