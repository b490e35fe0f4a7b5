import Foundation
import StoplinkCore
import Testing

@Suite("Deciding what a reply does")
struct InboundDecisionTests {
    /// Monday 2 March 2026, 10:00 UTC.
    static let monday = Date(timeIntervalSince1970: 1_772_445_600)

    static func standard(_ reply: InboundReply, _ language: String) -> String { "\(reply.rawValue)/\(language)" }

    static func decide(
        _ text: String, language: String = "en", keywords: [KeywordKind: [String]] = [:], policy: InboundPolicy = .review,
        scope: OptOutScope = .marketing, helpText: [String: String] = [:], confirmationText: [String: String] = [:]
    ) -> InboundDecision {
        InboundDecision.decide(
            text: text, language: language, receivedAt: monday, keywords: keywords, policy: policy, scope: scope,
            helpText: helpText, confirmationText: confirmationText, standardReply: standard
        )
    }

    @Test("STOP opts out with the company's scope and confirms in the sender's language")
    func stop() {
        #expect(Self.decide("STOP") == InboundDecision(action: .optOut, scope: .marketing, reply: "sms_opt_out/en"))
        #expect(Self.decide("stop", language: "nl") == InboundDecision(action: .optOut, scope: .marketing, reply: "sms_opt_out/nl"))
        // A revoke-all company's STOP stops everything, and says so.
        #expect(Self.decide("STOP", scope: .all) == InboundDecision(action: .optOut, scope: .all, reply: "sms_opt_out_all/en"))
    }

    @Test("STOPALL stops everything even for a marketing-only company")
    func stopAll() {
        #expect(Self.decide("STOPALL") == InboundDecision(action: .optOut, scope: .all, reply: "sms_opt_out_all/en"))
    }

    @Test("START opts back in; HELP answers with the company's text when it has one")
    func startAndHelp() {
        #expect(Self.decide("START") == InboundDecision(action: .optIn, reply: "sms_opt_in/en"))
        #expect(Self.decide("HELP") == InboundDecision(action: .help, reply: "sms_help/en"))
        #expect(Self.decide("HELP", helpText: ["en": "Call 555"]) == InboundDecision(action: .help, reply: "Call 555"))
        // An override in another language does not replace this language's standard text.
        #expect(Self.decide("HELP", helpText: ["nl": "Bel 555"]) == InboundDecision(action: .help, reply: "sms_help/en"))
    }

    @Test("The company's confirmation text replaces the standard one in its language")
    func confirmationOverride() {
        let decision = Self.decide("STOP", confirmationText: ["en": "Done, Acme."])
        #expect(decision.reply == "Done, Acme.")
        #expect(Self.decide("STOPALL", language: "de", confirmationText: ["en": "Done"]).reply == "sms_opt_out_all/de")
    }

    @Test("An unclear opt-out waits 10 business days for review, or is applied under the apply policy")
    func unclear() {
        let queued = Self.decide("please stop texting me")
        #expect(queued.action == .review)
        #expect(queued.reply == nil)
        // Ten business days after a Monday is the Monday two weeks later.
        #expect(queued.reviewDeadline == Self.monday.addingTimeInterval(14 * 86_400))

        let applied = Self.decide("please stop texting me", policy: .apply, scope: .all)
        #expect(applied == InboundDecision(action: .optOut, scope: .all, reply: "sms_opt_out_all/en"))
    }

    @Test("The company's own words are read as their kind; anything else is ignored")
    func companyWords() {
        let keywords: [KeywordKind: [String]] = [.optOut: ["genoeg"], .optIn: ["terug"], .help: ["vraag"]]
        #expect(Self.decide("GENOEG", keywords: keywords).action == .optOut)
        #expect(Self.decide("terug", keywords: keywords).action == .optIn)
        #expect(Self.decide("vraag", keywords: keywords).action == .help)
        #expect(Self.decide("genoeg").action == .ignored)
        #expect(Self.decide("Thanks, see you Friday") == InboundDecision(action: .ignored, reply: nil))
    }

    @Test("A stored keywords setting is read by kind, unknown keys left out")
    func keywordLists() {
        let lists = KeywordKind.lists(from: ["opt_out": ["genoeg"], "help": ["vraag"], "shout": ["hey"]])
        #expect(lists == [.optOut: ["genoeg"], .help: ["vraag"]])
    }
}
