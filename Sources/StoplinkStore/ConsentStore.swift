import Foundation
import StoplinkCore

/// The consent ledger and the suppression state derived from it. A ledger row, the suppression
/// it changes and its webhook deliveries are written in one transaction, and the decision to
/// write it (`LedgerRules`) is taken inside that transaction: two callers opting out one number
/// at once write one row, and the other gets `.alreadyOptedOut`.
public protocol ConsentStore: Sendable {
    /// Writes the opt-out, or nothing when the number is already opted out at least as widely.
    func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome
    /// Opts a number back in; nil (and nothing written) when it was not opted out. `actor`: the
    /// dashboard user who did it, kept on the ledger row.
    func recordOptIn(
        companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, actor: ConsentActor?, at: Date
    ) async throws -> ConsentEvent?
    func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression?
    /// A number's ledger rows, oldest first, each with its raw inbound text and its actor.
    func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent]
    /// The current state of each number, in input order, read from one snapshot.
    func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult]
    /// The company's current suppressions that match `filter`, newest first (then by number),
    /// strictly after `after` in that order, at most `limit`: paging with the last row's
    /// position gives every row once while nothing changes.
    func suppressions(companyID: String, matching filter: SuppressionFilter, after: SuppressionPosition?, limit: Int) async throws -> [Suppression]
    /// How many of the company's current suppressions match `filter`.
    func suppressionCount(companyID: String, matching filter: SuppressionFilter) async throws -> Int
}

extension ConsentStore {
    /// An opt-in that no dashboard user made.
    public func recordOptIn(companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, at: Date) async throws -> ConsentEvent? {
        try await recordOptIn(companyID: companyID, phone: phone, source: source, evidence: evidence, actor: nil, at: at)
    }
}

/// Which suppressions a list shows; nil fields do not filter.
public struct SuppressionFilter: Equatable, Sendable {
    public var scope: OptOutScope?
    public var source: ConsentSource?
    /// The company's own campaign reference.
    public var campaignRef: String?
    /// Opted out at or after this time.
    public var since: Date?
    /// Opted out before this time.
    public var before: Date?

    public init(scope: OptOutScope? = nil, source: ConsentSource? = nil, campaignRef: String? = nil, since: Date? = nil, before: Date? = nil) {
        self.scope = scope
        self.source = source
        self.campaignRef = campaignRef
        self.since = since
        self.before = before
    }
}

/// A place in a suppression list (newest first, then by number): the last row a page showed.
public struct SuppressionPosition: Equatable, Sendable {
    public var since: Date
    public var phone: PhoneNumber

    public init(since: Date, phone: PhoneNumber) {
        self.since = since
        self.phone = phone
    }

    public init(_ suppression: Suppression) {
        self.init(since: suppression.since, phone: suppression.phone)
    }
}

/// A number's answer to "may I send this?".
public struct CheckResult: Equatable, Sendable {
    public var phone: PhoneNumber
    public var suppression: Suppression?
}
