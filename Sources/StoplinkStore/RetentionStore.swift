import Foundation
import StoplinkCore

/// Removes the details each company keeps only for a while (`Company.retention`): what a purge
/// keeps is what a legal record of consent needs.
public protocol RetentionStore: Sendable {
    /// For every company, as of `now` and that company's `RetentionPeriods.cutoffs(now:)`:
    /// - visits before the visits cutoff are deleted; their human, bot and unique-visitor counts
    ///   are kept as totals per link and per campaign, so `stats` and `visitCounts` answer the
    ///   same numbers after a purge as before it (a visitor whose earlier visits were purged
    ///   counts once more when they come back);
    /// - free-text reasons (`reason_text`) of ledger rows before the reasons cutoff are cleared;
    /// - raw inbound texts before the inbound cutoff are cleared: the ledger's `raw_text` and the
    ///   text of inbound messages, except messages still waiting in the review queue;
    /// - every suppression, and every ledger row with its number, action, scope, source,
    ///   campaign, reason key, evidence and time, is kept; nothing else is touched.
    ///
    /// Work is done in batches of at most `batchSize` rows, each its own transaction, so opt-outs
    /// are never held up for long; a purge that stops half-way leaves every number right and the
    /// next one finishes it. Running it again at once removes nothing more.
    func purgeExpired(at now: Date, batchSize: Int) async throws -> PurgeCounts
}

/// What one purge removed.
public struct PurgeCounts: Equatable, Sendable {
    public var visits = 0
    public var reasonTexts = 0
    /// Raw texts cleared: ledger rows and inbound messages together.
    public var inboundTexts = 0

    public init(visits: Int = 0, reasonTexts: Int = 0, inboundTexts: Int = 0) {
        self.visits = visits
        self.reasonTexts = reasonTexts
        self.inboundTexts = inboundTexts
    }
}
