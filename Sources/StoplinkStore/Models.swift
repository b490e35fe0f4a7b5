import Foundation
import StoplinkCore

/// The sender: every opt-out belongs to one company.
public struct Company: Equatable, Sendable {
    public var id: String
    public var name: String
    public var defaultCountry: String
    public var defaultLanguage: String
    public var optOutScope: OptOutScope
    /// nil: the standard reasons of the page's language.
    public var reasons: [Reason]?
    /// Overrides of the page's explanation per language.
    public var pageText: [String: String]
    /// Overrides of the HELP reply per language.
    public var helpText: [String: String] = [:]
    /// Overrides of the STOP confirmation per language.
    public var confirmationText: [String: String] = [:]
    /// What happens to a reply that mentions STOP among other words.
    public var inboundPolicy: InboundPolicy = .review
    /// Write-only in the API: verifies Twilio's signatures.
    public var twilioAuthToken: String?
    /// The company's own reply words: `opt_out`, `opt_in`, `help` → words.
    public var keywords: [String: [String]] = [:]
    /// The opt-out line of outgoing messages per destination.
    public var messageRules = MessageRules()
    /// How long visit details, free-text reasons and raw inbound texts are kept.
    public var retention = RetentionPeriods.standard
    public var createdAt: Date
}

public struct Campaign: Equatable, Sendable {
    public var id: Int64
    public var companyID: String
    public var ref: String
    public var name: String
    public var purpose: Purpose
    public var createdAt: Date
}

/// A short code bound to (company, campaign, phone number).
public struct Link: Equatable, Sendable {
    public var id: Int64
    public var code: String
    public var companyID: String
    public var campaignID: Int64
    public var campaignRef: String
    public var phone: PhoneNumber
    public var createdAt: Date
}

/// One row of the append-only consent ledger.
public struct ConsentEvent: Equatable, Sendable {
    /// The ledger row's own id, across companies: internal (webhook deliveries point at it), never shown.
    public var rowID: Int64
    /// The event's place in its company's feed: 1, 2, 3, ... in commit order (see `FeedStore`).
    public var seq: Int64
    public var companyID: String
    public var action: ConsentAction
    public var phone: PhoneNumber
    public var scope: OptOutScope
    public var source: ConsentSource
    public var campaignRef: String?
    public var reason: String?
    public var reasonText: String?
    public var evidence: String?
    public var occurredAt: Date
    /// The inbound text the change came from, where there is one (kept for the retention period).
    /// Read only with a number's history; other readers leave it nil.
    public var rawText: String? = nil
    /// The dashboard user who made the change, if one did. Read only with a number's history.
    public var actor: ConsentActor? = nil
}

/// A dashboard user recorded on a ledger row. The email is copied, so a removed user's rows
/// still say who acted.
public struct ConsentActor: Equatable, Sendable {
    public var userID: String
    public var email: String

    public init(userID: String, email: String) {
        self.userID = userID
        self.email = email
    }
}

/// The current state of one number at one company.
public struct Suppression: Equatable, Sendable {
    public var companyID: String
    public var phone: PhoneNumber
    public var scope: OptOutScope
    public var since: Date
    public var source: ConsentSource
    public var campaignRef: String?
}

/// An opt-out to record.
public struct OptOutRequest: Sendable {
    public var companyID: String
    public var phone: PhoneNumber
    public var scope: OptOutScope
    public var source: ConsentSource
    public var campaignID: Int64?
    public var reason: String?
    public var reasonText: String?
    public var rawText: String?
    public var occurredAt: Date
    /// The dashboard user who asked for it (source `dashboard`, or a reviewed STOP reply).
    public var actor: ConsentActor?

    public init(
        companyID: String, phone: PhoneNumber, scope: OptOutScope, source: ConsentSource, campaignID: Int64? = nil,
        reason: String? = nil, reasonText: String? = nil, rawText: String? = nil, occurredAt: Date, actor: ConsentActor? = nil
    ) {
        self.companyID = companyID
        self.phone = phone
        self.scope = scope
        self.source = source
        self.campaignID = campaignID
        self.reason = reason
        self.reasonText = reasonText
        self.rawText = rawText
        self.occurredAt = occurredAt
        self.actor = actor
    }
}

public enum OptOutOutcome: Equatable, Sendable {
    /// A new ledger row was written.
    case recorded(ConsentEvent)
    /// The number was already opted out at least as widely: nothing was written.
    case alreadyOptedOut(Suppression)
}

/// A page view, counted in the background.
public struct Visit: Sendable {
    public var linkID: Int64
    public var kind: VisitKind
    /// A keyed hash of the visitor's address and agent: counts unique people without storing either.
    public var visitor: String
    public var at: Date

    public init(linkID: Int64, kind: VisitKind, visitor: String, at: Date) {
        self.linkID = linkID
        self.kind = kind
        self.visitor = visitor
        self.at = at
    }
}

public struct VisitCounts: Equatable, Sendable {
    public var human: Int
    public var bot: Int
    public var uniqueHumans: Int

    public init(human: Int, bot: Int, uniqueHumans: Int) {
        self.human = human
        self.bot = bot
        self.uniqueHumans = uniqueHumans
    }
}

/// A number that could not be issued a link, with its place in the input.
public struct IssueError: Equatable, Sendable {
    public var line: Int
    public var input: String
    public var reason: String
}
