import Foundation
import StoplinkCore

/// The consent ledger and the suppression state derived from it. A ledger row, the suppression
/// it changes and its webhook deliveries are written in one transaction, and the decision to
/// write it (`LedgerRules`) is taken inside that transaction: two callers opting out one number
/// at once write one row, and the other gets `.alreadyOptedOut`.
public protocol ConsentStore: Sendable {
    /// Writes the opt-out, or nothing when the number is already opted out at least as widely.
    func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome
    /// Opts a number back in; nil (and nothing written) when it was not opted out.
    func recordOptIn(companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, at: Date) async throws -> ConsentEvent?
    func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression?
    /// A number's ledger rows, oldest first.
    func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent]
    /// The current state of each number, in input order, read from one snapshot.
    func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult]
}

/// A number's answer to "may I send this?".
public struct CheckResult: Equatable, Sendable {
    public var phone: PhoneNumber
    public var suppression: Suppression?
}
