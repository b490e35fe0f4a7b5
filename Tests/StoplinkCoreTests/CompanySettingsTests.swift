import Foundation
import StoplinkCore
import Testing

@Suite("Checking a company's settings")
struct CompanySettingsTests {
    @Test("A valid change comes back in its stored form with no problems")
    func valid() {
        let change = CompanySettingsChange(
            name: "  Acme  ", defaultCountry: "nl", defaultLanguage: "DE",
            reasons: [Reason(key: "too_many", labels: ["en": "Too many", "nl": "Te veel"])],
            pageText: ["en": "Hello"], inboundPolicy: "apply", keywords: ["opt_out": ["genoeg"]],
            messageRules: MessageRules(countries: ["fr": .init(line: .keyword, shortCode: "36111")])
        )

        let (normalised, problems) = change.checked()

        #expect(problems.isEmpty)
        #expect(normalised.name == "Acme")
        #expect(normalised.defaultCountry == "NL")
        #expect(normalised.defaultLanguage == "de")
        #expect(normalised.messageRules?.countries.keys.sorted() == ["FR"])
        #expect(normalised.reasons == change.reasons)
    }

    @Test("Every problem is reported at once, each under its field")
    func everyProblem() {
        let change = CompanySettingsChange(
            name: " ", defaultCountry: "XX", defaultLanguage: "tlh",
            reasons: [Reason(key: "Bad Key", labels: ["xx": ""]), Reason(key: "dup", labels: ["en": "a"]), Reason(key: "dup", labels: ["en": "b"])],
            pageText: ["xx": String(repeating: "a", count: 2_001)], helpText: ["en": "ok"], inboundPolicy: "maybe",
            keywords: ["shout": ["hey"], "opt_out": [""]],
            messageRules: MessageRules(countries: ["ZZZ": .init(shortCode: "12")], texts: ["link": String(repeating: "x", count: 201)])
        )

        let fields = change.checked().problems.map(\.field)

        #expect(fields == [
            "name", "default_country", "default_language", "reasons[0].key", "reasons[0].label", "reasons[0].label",
            "reasons[2].key", "page_text", "page_text", "inbound_policy",
        ] + fields.filter { $0.hasPrefix("keywords") } + [
            "message_rules.countries", "message_rules.countries.ZZZ.short_code", "message_rules.texts",
        ])
        #expect(Set(fields.filter { $0.hasPrefix("keywords") }) == ["keywords", "keywords.opt_out"])
    }

    @Test("Too many reasons, too long a name, too many keywords")
    func limits() {
        let reasons = (0..<13).map { Reason(key: "r\($0)", labels: ["en": "R"]) }
        let change = CompanySettingsChange(
            name: String(repeating: "n", count: 201), reasons: reasons,
            keywords: ["help": (0..<51).map { "w\($0)" }]
        )
        let problems = change.checked().problems
        #expect(problems.map(\.field) == ["name", "reasons", "keywords.help"])
        #expect(problems.first?.reason == "must be 1–200 characters")
    }

    @Test("Retired reasons count towards the stored limit, not the offered one, and are not offered")
    func retiredReasons() throws {
        let active = (0..<12).map { Reason(key: "a\($0)", labels: ["en": "A"]) }
        let retired = (0..<38).map { Reason(key: "r\($0)", labels: ["en": "R"], retired: true) }
        let oneMoreActive = CompanySettingsChange(reasons: active + retired + [Reason(key: "extra", labels: ["en": "E"])])
        let oneMoreRetired = CompanySettingsChange(reasons: active + retired + [Reason(key: "extra", labels: ["en": "E"], retired: true)])

        #expect(CompanySettingsChange(reasons: active + retired).checked().problems.isEmpty)
        #expect(oneMoreActive.checked().problems.map(\.reason) == [
            "at most 12 reasons that are not retired", "at most 50 reasons, retired ones included",
        ])
        #expect(oneMoreRetired.checked().problems.map(\.reason) == ["at most 50 reasons, retired ones included"])
        #expect(Reason.offered(retired + active).map(\.key) == active.map(\.key))
        let decoded = try JSONDecoder().decode([Reason].self, from: Data(#"[{"key":"k","labels":{"en":"K"}}]"#.utf8))
        #expect(decoded == [Reason(key: "k", labels: ["en": "K"], retired: false)])
        #expect(String(decoding: try JSONEncoder().encode(decoded[0]), as: UTF8.self).contains("retired") == false)
    }

    @Test("Retention periods: 1 to 3,650 days each, applied over the current ones")
    func retention() {
        let change = CompanySettingsChange(retainVisitsDays: 0, retainReasonsDays: 3_651, retainInboundDays: 30)
        let kept = CompanySettingsChange(retainInboundDays: 1)

        let problems = change.checked().problems

        #expect(problems.map(\.field) == ["retain_visits_days", "retain_reasons_days"])
        #expect(problems.first?.reason == "must be 1–3650 days")
        #expect(kept.checked().problems.isEmpty)
        #expect(kept.retention(applyingTo: .standard) == RetentionPeriods(visitsDays: 90, reasonsDays: 365, inboundDays: 1))
    }

    @Test("Nothing proposed, nothing wrong")
    func empty() {
        let (normalised, problems) = CompanySettingsChange().checked()
        #expect(problems.isEmpty)
        #expect(normalised == CompanySettingsChange())
    }
}
