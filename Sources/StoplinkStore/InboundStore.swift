import Foundation
import StoplinkCore

/// SMS numbers, inbound replies and the review queue.
public protocol InboundStore: Sendable {
    /// Adds an SMS number (E.164 or short-code digits); false when another company has it.
    func addNumber(companyID: String, number: String, at: Date) async throws -> Bool
    func numbers(companyID: String) async throws -> [String]
    func deleteNumber(companyID: String, number: String) async throws -> Bool
    func company(forNumber number: String) async throws -> Company?
    /// Creates or replaces the company's inbound secret (`whsec_...`) and returns it.
    func rotateInboundSecret(companyID: String) async throws -> String
    func inboundSecret(companyID: String) async throws -> String?
    /// Records the message and applies the decision in one transaction, once per (company,
    /// gateway, message id): a replay, also one racing the first delivery, writes nothing and
    /// gets the first record back with `replayed` set; when its `fingerprint` differs from the
    /// first's (the id was reused for another message), `idReused` is set too. An opt-out older than the number's
    /// latest opt-in (or the reverse) changes nothing (`LedgerRules.keyword`).
    func processInbound(_ message: InboundMessage, decision: InboundDecision) async throws -> InboundRecord
    /// Messages waiting for a person, oldest first.
    func reviewQueue(companyID: String) async throws -> [ReviewItem]
    /// The first `limit` messages waiting for a person by deadline (so overdue ones first, then
    /// by id), with how many wait in all and how many of those are due at or before `now`.
    func reviewQueuePage(companyID: String, limit: Int, now: Date) async throws -> ReviewQueuePage
    /// Applies (opt-out with source `keyword`, the message's text and `actor` on its ledger row)
    /// or dismisses a queued message; nil when none is queued, so of two callers resolving one
    /// message at once exactly one gets it. An opt-in later than the message wins
    /// (`LedgerRules.queuedOptOut`).
    func resolveReview(id: Int64, companyID: String, apply: Bool, actor: ConsentActor?, at: Date) async throws -> ReviewItem?
}

extension InboundStore {
    /// A review that no dashboard user resolved (through the API).
    public func resolveReview(id: Int64, companyID: String, apply: Bool, at: Date) async throws -> ReviewItem? {
        try await resolveReview(id: id, companyID: companyID, apply: apply, actor: nil, at: at)
    }
}
