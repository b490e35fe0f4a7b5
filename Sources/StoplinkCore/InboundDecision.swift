import Foundation

/// What was done with an inbound message; `action` is what the gateway is told.
public enum InboundAction: String, Codable, Sendable {
    case optOut = "opt_out"
    case optIn = "opt_in"
    case help
    case review
    case ignored
}

/// The standard replies, by their key in the locale tables; the caller fills in the company's name.
public enum InboundReply: String, CaseIterable, Sendable {
    case optOut = "sms_opt_out"
    case optOutAll = "sms_opt_out_all"
    case optIn = "sms_opt_in"
    case help = "sms_help"
}

/// What to do with one reply, decided from its text and the company's settings, before anything
/// is stored. The store applies it, subject to the ledger's order rules.
public struct InboundDecision: Equatable, Sendable {
    public var action: InboundAction
    public var scope: OptOutScope
    /// The reply for each outcome (an opt-out confirmation is also sent for a repeated STOP).
    public var reply: String?
    public var reviewDeadline: Date?

    public init(action: InboundAction, scope: OptOutScope = .marketing, reply: String?, reviewDeadline: Date? = nil) {
        self.action = action
        self.scope = scope
        self.reply = reply
        self.reviewDeadline = reviewDeadline
    }

    /// Business days a queued reply may wait for a person.
    public static let reviewBusinessDays = 10

    /// Decides what `text`, received at `receivedAt` and written in `language`, does for a company.
    /// - `keywords`: the company's own words per kind, read besides the standard ones.
    /// - `policy`: what an opt-out word among other words does.
    /// - `scope`: the company's opt-out scope; STOP takes it, STOPALL always stops everything.
    /// - `helpText`, `confirmationText`: the company's replies per language, used before the standard ones.
    /// - `standardReply`: the standard text of a reply in a language, with the company's name filled in.
    public static func decide(
        text: String, language: String, receivedAt: Date, keywords: [KeywordKind: [String]], policy: InboundPolicy,
        scope: OptOutScope, helpText: [String: String], confirmationText: [String: String],
        standardReply: (InboundReply, String) -> String
    ) -> InboundDecision {
        let reader = ReplyReader(
            extraOptOut: keywords[.optOut] ?? [], extraOptIn: keywords[.optIn] ?? [], extraHelp: keywords[.help] ?? []
        )
        func confirmation(_ scope: OptOutScope) -> String {
            confirmationText[language] ?? standardReply(scope == .all ? .optOutAll : .optOut, language)
        }
        switch reader.read(text) {
        case .optOut(let asked):
            let chosen: OptOutScope = asked == .all ? .all : scope
            return InboundDecision(action: .optOut, scope: chosen, reply: confirmation(chosen))
        case .unclearOptOut:
            switch policy {
            case .apply:
                return InboundDecision(action: .optOut, scope: scope, reply: confirmation(scope))
            case .review:
                return InboundDecision(
                    action: .review, scope: scope, reply: nil,
                    reviewDeadline: BusinessDays.add(reviewBusinessDays, to: receivedAt)
                )
            }
        case .optIn:
            return InboundDecision(action: .optIn, reply: standardReply(.optIn, language))
        case .help:
            return InboundDecision(action: .help, reply: helpText[language] ?? standardReply(.help, language))
        case .ignored:
            return InboundDecision(action: .ignored, reply: nil)
        }
    }
}
