import Foundation
import StoplinkCore
@testable import StoplinkServer
@testable import StoplinkStore
import Testing

@Suite("The recipient's form, rendered once per company and filled per tap")
struct CompiledFormTests {
    static func company(reasons: [StoplinkCore.Reason]? = nil, name: String = "Acme & <Sons>") -> Company {
        Company(
            id: "co_test", name: name, defaultCountry: "NL", defaultLanguage: "nl", optOutScope: .marketing,
            reasons: reasons, pageText: [:], createdAt: Date(timeIntervalSince1970: 0)
        )
    }

    static let custom: [StoplinkCore.Reason] = [
        .init(key: "price", labels: ["en": "Too \"expensive\""]),
        .init(key: "other", labels: ["en": "Other"]),
        .init(key: "old", labels: ["en": "Retired one"], retired: true),
        .init(key: "often", labels: ["en": "Too <often>"]),
    ]

    @Test("a filled form is the page a full render gives, for standard, custom and retired reasons and in every language",
          arguments: [nil, custom] as [[StoplinkCore.Reason]?])
    func filledEqualsFull(reasons: [StoplinkCore.Reason]?) async throws {
        let renderer = try await PageRenderer(resourcesDirectory: Fixture.packageRoot)
        let company = Self.company(reasons: reasons)
        for language in Language.supported {
            let compiled = try #require(try renderer.compileForm(company: company, language: language))
            let offered = renderer.offeredReasons(of: company, language: language)
            let other = try #require(offered.firstIndex { $0.key == "other" })
            // Reversed, then `other` last, as `fill` puts it.
            let order = Array(offered.indices.reversed())
            let expected = order.filter { $0 != other }.map { offered[$0] } + [offered[other]]

            let filled = compiled.fill(token: "tok'\"<&>", action: "/abc?lang=\(language)", masked: "+31 6 •••• 5678", order: order)

            let full = try renderer.renderForm(
                company: company, language: language, masked: "+31 6 •••• 5678", action: "/abc?lang=\(language)",
                token: "tok'\"<&>", form: .init(), reasons: expected
            )
            #expect(filled == full)
            #expect(!filled.contains("\u{1}"))
            #expect(filled.contains("value=\"tok&#39;&quot;&lt;&amp;&gt;\""))
            #expect(!filled.contains("Retired one"))
        }
    }

    @Test("each tap gets its own token and number, with the reasons shuffled and other last")
    func eachTapIsItsOwn() async throws {
        let renderer = try await PageRenderer(resourcesDirectory: Fixture.packageRoot)
        let company = Self.company(reasons: Self.custom)

        let pages = try (0..<40).map { n in
            try renderer.recipientForm(
                company: company, language: "en", masked: "+31 6 •••• 00\(n)", action: "/code\(n)?lang=en", token: "token-\(n)", form: .init()
            )
        }

        for (n, page) in pages.enumerated() {
            #expect(page.contains("value=\"token-\(n)\""))
            #expect(page.contains("action=\"/code\(n)?lang=en\""))
            #expect(page.contains("+31 6 •••• 00\(n)"))
            let price = try #require(page.range(of: "value=\"price\"")).lowerBound
            let often = try #require(page.range(of: "value=\"often\"")).lowerBound
            let other = try #require(page.range(of: "value=\"other\"")).lowerBound
            #expect(price < other && often < other)
        }
        let orders = Set(pages.map { $0.range(of: "value=\"price\"")!.lowerBound < $0.range(of: "value=\"often\"")!.lowerBound })
        #expect(orders.count == 2, "in 40 taps both orders of two shuffled reasons appear")
    }

    @Test("a changed company shows at once: the cache keeps the company it compiled and compares it")
    func aChangeShowsAtOnce() async throws {
        let renderer = try await PageRenderer(resourcesDirectory: Fixture.packageRoot)
        let before = Self.company(name: "Before Ltd")
        var after = before
        after.name = "After Ltd"
        after.reasons = [.init(key: "new", labels: ["en": "A new reason"])]

        let first = try renderer.recipientForm(company: before, language: "en", masked: "m", action: "/a", token: "t", form: .init())
        let second = try renderer.recipientForm(company: after, language: "en", masked: "m", action: "/a", token: "t", form: .init())

        #expect(first.contains("Before Ltd") && !first.contains("After Ltd"))
        #expect(second.contains("After Ltd") && !second.contains("Before Ltd"))
        #expect(second.contains("A new reason"))
    }

    @Test("a form with what the recipient typed and an error is rendered in full, keeping what was typed")
    func touchedFormsAreRenderedInFull() async throws {
        let renderer = try await PageRenderer(resourcesDirectory: Fixture.packageRoot)
        let company = Self.company(reasons: Self.custom)

        let page = try renderer.recipientForm(
            company: company, language: "en", masked: "m", action: "/a", token: "t",
            form: .init(phone: "06 <123>", reason: "price", reasonText: "no & thanks", error: "error_mismatch")
        )

        #expect(page.contains("value=\"06 &lt;123&gt;\""))
        #expect(page.contains("value=\"price\" checked"))
        #expect(page.contains("no &amp; thanks"))
        #expect(page.contains("role=\"alert\""))
    }
}
