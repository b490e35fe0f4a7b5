import StoplinkCore
import Testing

@Suite("Preparing a message for one destination")
struct MessagePreparationTests {
    static let dutch = PhoneNumber(trustedE164: "+31612345678")
    static let american = PhoneNumber(trustedE164: "+14155552671")

    static func preparation(
        _ text: String, purpose: Purpose = .marketing, rules: MessageRules = MessageRules(), numbers: [String] = []
    ) -> MessagePreparation {
        MessagePreparation(
            text: text, purpose: purpose, rules: rules, defaultLanguage: "en", replyNumbers: numbers, linkBase: "https://stp.example"
        )
    }

    @Test("A marketing text gets a link line in the destination's language")
    func linkLine() {
        let prepared = Self.preparation("Sale today").prepare(for: Self.dutch, link: "https://stp.example/abc")

        #expect(prepared.text == "Sale today\nAfmelden: https://stp.example/abc")
        #expect(prepared.line.kind == .link)
        #expect(prepared.encoding.scheme == .gsm7)
        #expect(prepared.warnings.isEmpty)
    }

    @Test("A transactional text gets no line and so needs no link")
    func noLine() {
        let preparation = Self.preparation("Your code is 123456", purpose: .transactional)
        #expect(!preparation.wantsLine)
        let prepared = preparation.prepare(for: Self.dutch, link: nil)
        #expect(prepared.text == "Your code is 123456")
        #expect(prepared.line.text == nil)
    }

    @Test("A US number gets Reply STOP only when the company takes replies there")
    func replies() {
        let without = Self.preparation("Sale").prepare(for: Self.american, link: "https://stp.example/abc")
        let with = Self.preparation("Sale", numbers: ["+12025550100", "36111"]).prepare(for: Self.american, link: "https://stp.example/abc")

        #expect(without.line.kind == .link)
        #expect(with.line.kind == .keyword)
        #expect(with.text == "Sale\nReply STOP to opt out")
        #expect(Self.preparation("x", numbers: ["+31201234567"]).takesReplies(region: "US") == false)
        #expect(Self.preparation("x", numbers: ["+31201234567"]).takesReplies(region: "NL"))
        #expect(Self.preparation("x", numbers: ["+31201234567"]).takesReplies(region: nil) == false)
    }

    @Test("Warnings: an opt-out already in the text, UCS-2, and a line that costs a part")
    func warnings() {
        let already = Self.preparation("Sale! Reply STOP to stop").prepare(for: Self.dutch, link: "https://stp.example/abc")
        #expect(already.warnings.map(\.code) == ["opt_out_already_present"])

        let emoji = Self.preparation("Sale 🎉").prepare(for: Self.dutch, link: "https://stp.example/abc")
        #expect(emoji.warnings.map(\.code) == ["ucs2"])
        #expect(emoji.encoding.scheme == .ucs2)

        let full = Self.preparation(String(repeating: "a", count: 150)).prepare(for: Self.dutch, link: "https://stp.example/abc")
        #expect(full.warnings.map(\.code) == ["extra_segment"])
        #expect(full.encoding.segments == 2)
    }

    @Test("Short links drop the scheme, also when spotting a link already in the text")
    func shortLinks() {
        #expect(MessagePreparation.display("https://stp.example/abc", short: true) == "stp.example/abc")
        #expect(MessagePreparation.display("http://stp.example/abc", short: true) == "stp.example/abc")
        #expect(MessagePreparation.display("https://stp.example/abc", short: false) == "https://stp.example/abc")
        let rules = MessageRules(shortLinks: true)
        let prepared = Self.preparation("See stp.example/old", rules: rules).prepare(for: Self.dutch, link: "stp.example/abc")
        #expect(prepared.warnings.map(\.code) == ["opt_out_already_present"])
    }
}
