import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

extension Fixture {
    /// `count` more campaigns, the n-th created n minutes after the fixture's own, each with n
    /// links (numbers +3168xxxxxxx) and n % 3 opt-outs through them.
    func addCampaigns(_ count: Int) async throws {
        for index in 1...count {
            let at = clock.now().addingTimeInterval(Double(index) * 60)
            let campaign = try await store.createCampaign(
                companyID: company.id, ref: String(format: "send-%02d", index), name: String(format: "Send %02d", index), purpose: .marketing, at: at
            )
            let phones = (0..<index).map { PhoneNumber(trustedE164: "+3168" + String(format: "%07d", index * 100 + $0)) }
            let links = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: at)
            for link in links.prefix(index % 3) {
                _ = try await store.recordOptOut(OptOutRequest(
                    companyID: company.id, phone: link.phone, scope: .marketing, source: .link, campaignID: campaign.id, occurredAt: at
                ))
            }
        }
    }

    /// An opt-out through the fixture's campaign by a number of its own.
    func optOutThroughCampaign(_ index: Int, reason: String?, text: String?, after interval: TimeInterval, link: Bool = true) async throws {
        let phone = PhoneNumber(trustedE164: "+3169" + String(format: "%07d", index))
        if link {
            _ = try await store.issueLinks(campaign: campaign, phones: [phone], codeLength: 10, at: campaign.createdAt)
        }
        _ = try await store.recordOptOut(OptOutRequest(
            companyID: company.id, phone: phone, scope: .marketing, source: .link, campaignID: campaign.id, reason: reason, reasonText: text,
            occurredAt: campaign.createdAt.addingTimeInterval(interval)
        ))
    }
}

extension Fixture {
    /// Runs `body` against the application with a browser signed in as `email`.
    func signedIn(_ email: String, _ body: @escaping @Sendable (DashboardBrowser) async throws -> Void) async throws {
        try await application().test(.router) { client in
            let browser = DashboardBrowser(client)
            _ = try await browser.logIn(email, Fixture.password)
            try await body(browser)
        }
    }
}

/// The rows of a page's first table body, as the text between `<tr>` tags.
private func bodyRows(_ page: String) -> [String] {
    guard let start = page.range(of: "<tbody>"), let end = page.range(of: "</tbody>", range: start.upperBound..<page.endIndex) else { return [] }
    return page[start.upperBound..<end.lowerBound].components(separatedBy: "<tr>").dropFirst().map { String($0) }
}

/// The campaign refs in the order the list shows them.
private func listedRefs(_ page: String) -> [String] {
    bodyRows(page).compactMap { row in
        guard let start = row.range(of: "<span class=\"ref\">"), let end = row.range(of: "</span>", range: start.upperBound..<row.endIndex) else { return nil }
        return String(row[start.upperBound..<end.lowerBound])
    }
}

@Suite("The dashboard's campaigns: the list, one campaign's charts and texts, CSV downloads, the overview's chart and attention list")
struct DashboardCampaignsTests {
    @Test("the list shows 25 campaigns a page, newest first, with figures and page links that keep the order")
    func listPages() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.addCampaigns(29)

        try await fixture.signedIn("ann@acme.example") { browser in
            let first = try await browser.get("/dashboard/campaigns")
            let second = try await browser.get("/dashboard/campaigns?sort=created&order=desc&page=2")

            #expect(first.status == .ok)
            let refs = listedRefs(text(first))
            #expect(refs.count == 25)
            #expect(refs.first == "send-29")
            #expect(refs.last == "send-05")
            #expect(listedRefs(text(second)) == ["send-04", "send-03", "send-02", "send-01", "spring-sale"])
            #expect(text(first).contains("Page 1 of 2"))
            #expect(text(first).contains("href=\"/dashboard/campaigns?sort=created&amp;order=desc&amp;page=2\""))
            #expect(text(second).contains("href=\"/dashboard/campaigns?sort=created&amp;order=desc\" rel=\"prev\""))
            // Send 29: 29 links, 29 % 3 = 2 opt-outs, 6.9 %.
            let row = try #require(bodyRows(text(first)).first)
            #expect(row.contains("<td class=\"num\">29</td><td class=\"num\">0</td><td class=\"num\">2</td><td class=\"num\">6.9 %</td>"))
            #expect(text(first).contains("aria-current=\"page\">Campaigns</a>"))
        }
    }

    @Test("each column sorts both ways, and its header link keeps the page and turns the order")
    func sorting() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.addCampaigns(4)

        try await fixture.signedIn("ann@acme.example") { browser in
            let byLinks = text(try await browser.get("/dashboard/campaigns?sort=links&order=asc"))
            let byOptOuts = text(try await browser.get("/dashboard/campaigns?sort=opt_outs&order=desc"))
            let byName = text(try await browser.get("/dashboard/campaigns?sort=name&order=desc"))
            let byRate = text(try await browser.get("/dashboard/campaigns?sort=rate&order=desc&page=1"))

            // spring-sale has one link; send-n has n links and n % 3 opt-outs. Ties: newest first.
            #expect(listedRefs(byLinks) == ["send-01", "spring-sale", "send-02", "send-03", "send-04"])
            #expect(listedRefs(byOptOuts) == ["send-02", "send-04", "send-01", "send-03", "spring-sale"])
            #expect(listedRefs(byName) == ["spring-sale", "send-04", "send-03", "send-02", "send-01"])
            #expect(listedRefs(byRate) == ["send-02", "send-01", "send-04", "send-03", "spring-sale"])
            #expect(byLinks.contains("aria-sort=\"ascending\""))
            #expect(byLinks.contains("href=\"/dashboard/campaigns?sort=links&amp;order=desc\""))
            #expect(byOptOuts.contains("href=\"/dashboard/campaigns?sort=opt_outs&amp;order=asc\""))
        }
    }

    @Test("a bad page or sort falls back to the first page, newest first; a page past the end shows the last", arguments: [
        ("page=0", "send-29", 1), ("page=-3", "send-29", 1), ("page=abc", "send-29", 1), ("page=", "send-29", 1),
        ("page=99999999999999999999", "send-04", 2), ("page=9223372036854775807", "send-04", 2), ("page=3", "send-04", 2),
        ("sort=phone&order=sideways", "send-29", 1), ("sort=%3Cscript%3E", "send-29", 1), ("order=asc", "spring-sale", 1),
    ])
    func badQueries(query: String, firstRef: String, page: Int) async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.addCampaigns(29)

        try await fixture.signedIn("ann@acme.example") { browser in
            let response = try await browser.get("/dashboard/campaigns?" + query)

            #expect(response.status == .ok)
            #expect(listedRefs(text(response)).first == firstRef)
            #expect(text(response).contains("Page \(page) of 2"))
            #expect(!text(response).contains("<script>"))
        }
    }

    @Test("a company without campaigns gets a sentence, not an empty table")
    func noCampaigns() async throws {
        let fixture = try await Fixture.dashboard()
        let other = try await fixture.store.createCompany(name: "New", defaultCountry: "NL", defaultLanguage: "en", at: fixture.clock.now())
        try await fixture.user("ned@new.example", company: other.id)

        try await fixture.signedIn("ned@new.example") { browser in
            let page = try await browser.get("/dashboard/campaigns?page=5")

            #expect(page.status == .ok)
            #expect(text(page).contains("No campaigns yet."))
            #expect(!text(page).contains("<table"))
            #expect(!text(page).contains("Spring sale"))
        }
    }

    @Test("a campaign's page draws reasons, days, time to opt out and visits as SVG with a table of the same numbers")
    func campaignCharts() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.optOutThroughCampaign(1, reason: "too_many", text: nil, after: 10 * 60)
        try await fixture.optOutThroughCampaign(2, reason: "too_many", text: nil, after: 2 * 3_600)
        try await fixture.optOutThroughCampaign(3, reason: "never_signed_up", text: nil, after: 3 * 86_400)
        try await fixture.optOutThroughCampaign(4, reason: "gone_away", text: nil, after: 9 * 86_400)
        try await fixture.store.recordVisits([
            Visit(linkID: fixture.link.id, kind: .human, visitor: "a", at: fixture.clock.now()),
            Visit(linkID: fixture.link.id, kind: .bot, visitor: "b", at: fixture.clock.now()),
            Visit(linkID: fixture.link.id, kind: .bot, visitor: "c", at: fixture.clock.now()),
        ])

        try await fixture.signedIn("ann@acme.example") { browser in
            let response = try await browser.get("/dashboard/campaigns/spring-sale")
            let page = text(response)

            #expect(response.status == .ok)
            for id in ["reasons", "per-day", "delays", "visits"] {
                #expect(page.contains("aria-labelledby=\"\(id)-title \(id)-desc\""), "no chart \(id)")
            }
            #expect(page.contains("<title id=\"reasons-title\">Opt-outs by reason</title>"))
            #expect(page.contains("I get too many messages 2"))
            // A reason the company no longer lists keeps its key as its label.
            #expect(page.contains("<th scope=\"row\">gone_away</th><td class=\"num\">1</td>"))
            #expect(page.contains("<th scope=\"row\">I never signed up</th><td class=\"num\">1</td>"))
            // Send to opt-out: one under an hour, one in 1–6 h, none in 6–24 h, one in 1–7 d, one after.
            #expect(page.contains("Time from send to opt-out: Under 1 hour 1, 1–6 hours 1, 6–24 hours 0, 1–7 days 1, Over 7 days 1."))
            #expect(page.contains("<th scope=\"row\">Human</th><td class=\"num\">1</td>"))
            #expect(page.contains("<th scope=\"row\">Bot</th><td class=\"num\">2</td>"))
            // Every day from the first opt-out to the last, quiet days as 0: ten rows.
            let day = DaySeries.string(fixture.campaign.createdAt)
            #expect(page.contains("<th scope=\"row\">\(day)</th><td class=\"num\">2</td>"))
            #expect(page.components(separatedBy: "Opt-outs per day (UTC): ").count == 2)
            #expect(page.contains("href=\"/dashboard/campaigns/spring-sale/stats.csv\""))
            #expect(page.contains("href=\"/dashboard/campaigns/spring-sale/reasons.csv\""))
            #expect(!page.contains("<script"))
        }
    }

    @Test("free-text reasons: newest first, 20 a page, searched, with HTML in them shown as text")
    func freeTexts() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        for index in 0..<23 {
            try await fixture.optOutThroughCampaign(index, reason: "other", text: "Reason number \(index)", after: Double(index) * 60)
        }
        try await fixture.optOutThroughCampaign(50, reason: "other", text: "<script>alert(1)</script> & \"quotes\"", after: 3_600)
        try await fixture.optOutThroughCampaign(51, reason: nil, text: "=HYPERLINK(\"http://evil.example\")", after: 3_700)

        try await fixture.signedIn("ann@acme.example") { browser in
            let first = text(try await browser.get("/dashboard/campaigns/spring-sale"))
            let last = text(try await browser.get("/dashboard/campaigns/spring-sale?page=2"))
            let found = text(try await browser.get("/dashboard/campaigns/spring-sale?q=number%201"))
            // What a browser's GET form sends: a space as `+`.
            let typed = text(try await browser.get("/dashboard/campaigns/spring-sale?q=+number+1+"))
            let hostile = text(try await browser.get("/dashboard/campaigns/spring-sale?q=%3Cscript%3E"))
            let nothing = text(try await browser.get("/dashboard/campaigns/spring-sale?q=%25%27%20OR%201%3D1%20--"))
            let past = text(try await browser.get("/dashboard/campaigns/spring-sale?page=99"))

            #expect(first.contains("25 texts in all, newest first."))
            #expect(first.contains("=HYPERLINK(&quot;http://evil.example&quot;)"))
            #expect(first.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"))
            #expect(!first.contains("<script>"))
            #expect(first.range(of: "=HYPERLINK")!.lowerBound < first.range(of: "Reason number 22")!.lowerBound)
            // Newest recorded first: the two hostile texts, then 22 down to 5; 4 to 0 on page 2.
            #expect(first.contains("Reason number 5<"))
            #expect(!first.contains("Reason number 4<"))
            #expect(last.contains("Reason number 0<"))
            #expect(last.contains("Reason number 4<"))
            #expect(!last.contains("Reason number 5<"))
            #expect(first.contains("Page 1 of 2"))
            #expect(first.contains("href=\"/dashboard/campaigns/spring-sale?page=2#texts-heading\""))
            // "number 1" matches 1 and 10–19.
            #expect(found.contains("11 texts contain “number 1”"))
            #expect(found.contains("value=\"number 1\""))
            #expect(typed.contains("11 texts contain “number 1”"))
            #expect(hostile.contains("1 text contains “&lt;script&gt;”"))
            #expect(hostile.contains("value=\"&lt;script&gt;\""))
            #expect(!hostile.contains("<script>"))
            #expect(nothing.contains("0 texts contain"))
            #expect(past.contains("Page 2 of 2"))
        }
    }

    @Test("the CSV downloads are attachments with the campaign's figures and every reason, spreadsheet-safe")
    func csvDownloads() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.optOutThroughCampaign(1, reason: "too_many", text: "=HYPERLINK(\"http://evil.example\",\"x\")", after: 60)
        try await fixture.optOutThroughCampaign(2, reason: "other", text: "plain, with a comma\nand a line", after: 120)
        try await fixture.optOutThroughCampaign(3, reason: nil, text: "+cmd|' /C calc'!A0", after: 180)
        try await fixture.optOutThroughCampaign(4, reason: nil, text: nil, after: 240)

        try await fixture.signedIn("ann@acme.example") { browser in
            let stats = try await browser.get("/dashboard/campaigns/spring-sale/stats.csv")
            let reasons = try await browser.get("/dashboard/campaigns/spring-sale/reasons.csv")

            #expect(stats.status == .ok)
            #expect(stats.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(stats.headers[.contentDisposition] == "attachment; filename=\"spring-sale-stats.csv\"")
            let statsRows = try CSVReader.records(of: Array(text(stats).utf8)).map(\.fields)
            #expect(statsRows.first == CampaignsAPI.statsColumns)
            let figures = Dictionary(uniqueKeysWithValues: zip(statsRows[0], statsRows[1]))
            #expect(figures["ref"] == "spring-sale")
            #expect(figures["links"] == "5")
            #expect(figures["opt_outs"] == "4")
            #expect(figures["opt_out_rate"] == "0.8")

            #expect(reasons.status == .ok)
            #expect(reasons.headers[.contentDisposition] == "attachment; filename=\"spring-sale-reasons.csv\"")
            let rows = try CSVReader.records(of: Array(text(reasons).utf8)).map(\.fields)
            #expect(rows.first == ["occurred_at", "reason", "reason_label", "reason_text"])
            #expect(rows.dropFirst().map { $0[3] } == ["'+cmd|' /C calc'!A0", "plain, with a comma\nand a line", "'=HYPERLINK(\"http://evil.example\",\"x\")"])
            #expect(rows.dropFirst().map { $0[1] } == ["", "other", "too_many"])
            #expect(rows.dropFirst().map { $0[2] } == ["", "Other", "I get too many messages"])
        }
    }

    @Test("the reasons download reads in rounds without losing or repeating a row, also with equal times and opt-outs arriving meanwhile")
    func reasonsInRounds() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        let count = DashboardController.reasonsCSVChunk + 150
        let at = fixture.campaign.createdAt.addingTimeInterval(60)
        // Every opt-out at the same millisecond: only the sequence tells them apart.
        for index in 0..<count {
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+3169" + String(format: "%07d", index)), scope: .marketing,
                source: .link, campaignID: fixture.campaign.id, reason: "other", reasonText: "text \(index)", occurredAt: at
            ))
        }

        try await fixture.signedIn("ann@acme.example") { ann in
            async let download = ann.get("/dashboard/campaigns/spring-sale/reasons.csv")
            // Opt-outs recorded while the download runs (newer, so before its cursor).
            for index in 0..<20 {
                _ = try await fixture.store.recordOptOut(OptOutRequest(
                    companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+3167" + String(format: "%07d", index)), scope: .marketing,
                    source: .link, campaignID: fixture.campaign.id, reason: "other", reasonText: "meanwhile \(index)",
                    occurredAt: at.addingTimeInterval(60)
                ))
            }
            let response = try await download

            let texts = try CSVReader.records(of: Array(text(response).utf8)).dropFirst().map { $0.fields[3] }
            let original = texts.filter { $0.hasPrefix("text ") }
            #expect(response.status == .ok)
            #expect(original.count == count)
            #expect(Set(original).count == count)
            #expect(Set(texts).count == texts.count)
            // Newest first: the later of equal times is the one recorded later.
            #expect(original.first == "text \(count - 1)")
            #expect(original.last == "text 0")
        }
    }

    @Test("a search longer than 200 characters is cut to 200, and a long query string is still a page")
    func longSearch() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.optOutThroughCampaign(1, reason: "other", text: String(repeating: "a", count: 300), after: 60)

        try await fixture.signedIn("ann@acme.example") { ann in
            let response = try await ann.get("/dashboard/campaigns/spring-sale?q=" + String(repeating: "a", count: 5_000))

            #expect(response.status == .ok)
            #expect(text(response).contains("value=\"\(String(repeating: "a", count: 200))\""))
            #expect(!text(response).contains(String(repeating: "a", count: 201) + "\""))
            #expect(text(response).contains("1 text contains"))
        }
    }

    @Test("another company's campaign, and one that does not exist, answer 404 on every campaign page and download")
    func otherCompany() async throws {
        let fixture = try await Fixture.dashboard()
        let other = try await fixture.store.createCompany(name: "Other", defaultCountry: "DE", defaultLanguage: "de", at: fixture.clock.now())
        try await fixture.user("eve@other.example", company: other.id)
        try await fixture.optOutThroughCampaign(1, reason: "too_many", text: "secret words", after: 60)

        try await fixture.signedIn("eve@other.example") { eve in
            for path in ["", "/stats.csv", "/reasons.csv"] {
                let foreign = try await eve.get("/dashboard/campaigns/spring-sale" + path)
                let missing = try await eve.get("/dashboard/campaigns/no-such-campaign" + path)

                #expect(foreign.status == .notFound, "\(path)")
                #expect(text(foreign) == text(missing))
                #expect(!text(foreign).contains("secret words"))
            }
            let list = text(try await eve.get("/dashboard/campaigns"))
            #expect(!list.contains("spring-sale"))
        }
    }

    @Test("without a session every campaign page and download sends the visitor to the login")
    func signedOut() async throws {
        let fixture = try await Fixture.dashboard()

        try await fixture.application().test(.router) { client in
            for path in ["/dashboard/campaigns", "/dashboard/campaigns/spring-sale", "/dashboard/campaigns/spring-sale/stats.csv",
                         "/dashboard/campaigns/spring-sale/reasons.csv"] {
                let response = try await client.execute(uri: path, method: .get)

                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers[.location] == "/dashboard/login")
            }
        }
    }

    @Test("a marketer reads the list, a campaign and its downloads")
    func marketer() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("mia@acme.example", role: .marketer)
        try await fixture.optOutThroughCampaign(1, reason: "too_many", text: "Too many", after: 60)

        try await fixture.signedIn("mia@acme.example") { mia in
            let list = try await mia.get("/dashboard/campaigns")
            let page = try await mia.get("/dashboard/campaigns/spring-sale")
            let stats = try await mia.get("/dashboard/campaigns/spring-sale/stats.csv")
            let reasons = try await mia.get("/dashboard/campaigns/spring-sale/reasons.csv")

            #expect(list.status == .ok)
            #expect(page.status == .ok)
            #expect(text(page).contains("Too many"))
            #expect(stats.status == .ok)
            #expect(reasons.status == .ok)
            #expect(text(reasons).contains("Too many"))
        }
    }

    @Test("the overview draws 30 days of opt-outs and lists review items by deadline, failing endpoints and emails")
    func overview() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        try await fixture.user("mia@acme.example", role: .marketer)
        let now = fixture.clock.now()
        // Opt-outs today, two 5 days ago, one 40 days ago (outside the chart).
        for (index, daysAgo) in [0.0, 5, 5, 40].enumerated() {
            _ = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+3169000000\(index)"), scope: .marketing, source: .api,
                occurredAt: now.addingTimeInterval(-daysAgo * 86_400)
            ))
        }
        // Two review items: the later received one is overdue already.
        for (index, (receivedDaysAgo, deadlineDays)) in [(1.0, 9.0), (20.0, -2.0)].enumerated() {
            let received = now.addingTimeInterval(-receivedDaysAgo * 86_400)
            _ = try await fixture.store.processInbound(
                InboundMessage(
                    companyID: fixture.company.id, gateway: .generic, messageID: "m\(index)", from: PhoneNumber(trustedE164: "+3169100000\(index)"),
                    to: "+3197010000000", text: "message <\(index)>", receivedAt: received
                ),
                decision: InboundDecision(action: .review, reply: nil, reviewDeadline: now.addingTimeInterval(deadlineDays * 86_400))
            )
        }
        let endpoint = try await fixture.store.createEndpoint(
            companyID: fixture.company.id, url: "https://hooks.example/broken", description: "", eventTypes: [], at: now
        )
        _ = try await fixture.store.setEndpointEnabled(id: endpoint.id, companyID: fixture.company.id, enabled: false, reason: "answered 410")

        try await fixture.signedIn("ann@acme.example") { ann in
            let page = text(try await ann.get("/dashboard"))
            let mia = DashboardBrowser(ann.client)
            _ = try await mia.logIn("mia@acme.example", Fixture.password)
            let marketerPage = text(try await mia.get("/dashboard"))

            #expect(page.contains("<title id=\"overview-days-title\">Opt-outs per day, last 30 days (UTC)</title>"))
            #expect(page.contains("<th scope=\"row\">\(DaySeries.string(now))</th><td class=\"num\">1</td>"))
            #expect(page.contains("<th scope=\"row\">\(DaySeries.string(now.addingTimeInterval(-5 * 86_400)))</th><td class=\"num\">2</td>"))
            #expect(!page.contains(DaySeries.string(now.addingTimeInterval(-40 * 86_400))))
            #expect(page.contains("Replies waiting for review (2)"))
            let overdue = try #require(page.range(of: "Overdue since"))
            let waiting = try #require(page.range(of: "Decide by"))
            #expect(overdue.lowerBound < waiting.lowerBound)
            #expect(page.contains("message &lt;1&gt;"))
            #expect(page.contains("href=\"/dashboard/review\""))
            #expect(page.contains("https://hooks.example/broken"))
            #expect(page.contains("href=\"/dashboard/settings/webhooks\""))
            // A marketer never sees webhooks.
            #expect(marketerPage.contains("Replies waiting for review (2)"))
            #expect(!marketerPage.contains("hooks.example"))
            // The existing figures stay.
            #expect(page.contains("Opt-outs by source"))
            #expect(page.contains("Latest campaigns"))
        }
    }

    @Test("emails that failed for good this week show on the overview")
    func emailFailures() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")
        _ = try await fixture.store.setEmailRecipient(
            companyID: fixture.company.id, address: "ops@acme.example", forward: false, digest: true, at: fixture.clock.now()
        )
        _ = try await fixture.store.queueDigests(companyID: fixture.company.id, day: nil, subject: "Digest", body: "text", at: fixture.clock.now())
        let email = try #require(try await fixture.store.claimDueEmails(at: fixture.clock.now(), lease: 60, limit: 10).first)
        try await fixture.store.recordEmailAttempt(id: email.id, outcome: .failed(error: "550 mailbox unavailable", retryAt: nil), at: fixture.clock.now())

        try await fixture.signedIn("ann@acme.example") { ann in
            let page = text(try await ann.get("/dashboard"))

            #expect(page.contains("Emails that could not be sent this week"))
            #expect(page.contains("ops@acme.example"))
            #expect(page.contains("550 mailbox unavailable"))
            #expect(!page.contains("Nothing needs you right now."))
        }
    }

    @Test("a quiet company's overview says nothing needs attention and still draws 30 empty days")
    func quietOverview() async throws {
        let fixture = try await Fixture.dashboard()
        try await fixture.user("ann@acme.example")

        try await fixture.signedIn("ann@acme.example") { ann in
            let page = text(try await ann.get("/dashboard"))

            #expect(page.contains("Nothing needs you right now."))
            #expect(page.components(separatedBy: "</th><td class=\"num\">0</td></tr>").count - 1 >= 30)
        }
    }

    @Test("the demo fills its company at the first start only: campaigns, opt-outs with reasons over 30 days, visits, one review item")
    func demoData() async throws {
        let fixture = try await Fixture.dashboard()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stoplink-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore.open(path: folder.appendingPathComponent("demo.sqlite").path)
        defer { try? store.close() }

        let first = try #require(try await Demo.prepare(store: store, config: fixture.config, clock: fixture.clock))
        let again = try #require(try await Demo.prepare(store: store, config: fixture.config, clock: fixture.clock))

        let page = try await store.campaignSummaries(companyID: first.companyID, sort: .created, descending: false, limit: 10, offset: 0)
        #expect(page.summaries.map(\.campaign.ref) == ["autumn-offers", "newsletter-week-47", "loyalty-club", "demo"])
        #expect(page.summaries.allSatisfy { $0.campaign.ref == "demo" || ($0.optOuts > 0 && $0.humanVisits > 0) })
        let now = fixture.clock.now()
        let days = try await store.optOutsPerDay(companyID: first.companyID, since: now.addingTimeInterval(-30 * 86_400))
        #expect(days.count >= 10)
        let autumn = try #require(page.summaries.first?.campaign)
        let stats = try await store.stats(campaign: autumn, reasonTextLimit: 50, reasonTextsBefore: nil)
        #expect(stats.reasons.count >= 3)
        #expect(!stats.reasonTexts.isEmpty)
        #expect(stats.visits.bot > 0)
        #expect(try await store.reviewQueue(companyID: first.companyID).count == 1)
        // The demo link's number is left opted in, so the printed link still opts someone out.
        #expect(try await store.suppression(companyID: first.companyID, phone: PhoneNumber(trustedE164: Demo.phone)) == nil)
        // The second start adds nothing.
        #expect(again.companyID == first.companyID)
        #expect(try await store.campaigns(companyID: first.companyID).count == 4)
        #expect(try await store.optOutsBySource(companyID: first.companyID, since: .distantPast).values.reduce(0, +)
            == page.summaries.map(\.optOuts).reduce(0, +) + DemoData.stopReplies.count)
    }
}
