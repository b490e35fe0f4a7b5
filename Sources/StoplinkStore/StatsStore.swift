import Foundation
import StoplinkCore

/// A campaign's results.
public protocol StatsStore: Sendable {
    /// Links, visits, opt-outs by source, reasons, opt-outs per UTC day, and the newest
    /// `reasonTextLimit` free-text reasons with `seq` below `reasonTextsBefore` (newest first),
    /// all read from one snapshot.
    func stats(campaign: Campaign, reasonTextLimit: Int, reasonTextsBefore: Int64?) async throws -> CampaignStats
    /// A company's opt-outs (ledger rows, not current state) that occurred at or after `since`,
    /// counted by source; sources without any are absent.
    func optOutsBySource(companyID: String, since: Date) async throws -> [String: Int]
    /// One page of a company's campaigns with their links, human visits (purged ones included),
    /// opt-outs and rate, ordered by `sort` (ties: newest first), and how many campaigns there are
    /// in all; read from one snapshot in one query for the page, however many campaigns it holds.
    func campaignSummaries(companyID: String, sort: CampaignSort, descending: Bool, limit: Int, offset: Int) async throws
        -> CampaignSummaryPage
    /// A campaign's opt-outs with a reason key or a free text (only those with a free text when
    /// `freeTextOnly`), whose text contains `search` (case-insensitive for ASCII letters) when it is
    /// given, newest first (by when they occurred, then as recorded): the `limit` after skipping
    /// `offset`, all after the entry `after` in that order when it is given (for reading in rounds).
    func reasonEntries(campaignID: Int64, freeTextOnly: Bool, search: String?, after: ReasonEntry?, offset: Int, limit: Int) async throws
        -> [ReasonEntry]
    /// How many entries `reasonEntries` has in all for the same filter.
    func reasonEntryCount(campaignID: Int64, freeTextOnly: Bool, search: String?) async throws -> Int
    /// A campaign's opt-outs counted by the time from send to opt-out: `bounds` (seconds, rising)
    /// split the time into `bounds.count + 1` buckets, `[0, b0)`, `[b0, b1)`, ..., `[bn, ∞)`.
    /// The send is the moment the number's link was issued, else the campaign's creation.
    func optOutDelays(campaignID: Int64, bounds: [TimeInterval]) async throws -> [Int]
    /// A company's opt-outs (ledger rows) at or after `since`, per UTC day (`yyyy-MM-dd`), oldest
    /// first; days without any are absent.
    func optOutsPerDay(companyID: String, since: Date) async throws -> [(date: String, optOuts: Int)]
}

/// What `StatsStore.campaignSummaries` orders by.
public enum CampaignSort: String, CaseIterable, Sendable {
    case created
    case name
    case links
    case visits
    case optOuts = "opt_outs"
    case rate
}

/// A campaign with its headline figures (see `StatsStore.campaignSummaries`).
public struct CampaignSummary: Equatable, Sendable {
    public var campaign: Campaign
    public var links: Int
    public var humanVisits: Int
    public var optOuts: Int

    public init(campaign: Campaign, links: Int, humanVisits: Int, optOuts: Int) {
        self.campaign = campaign
        self.links = links
        self.humanVisits = humanVisits
        self.optOuts = optOuts
    }
}

public struct CampaignSummaryPage: Equatable, Sendable {
    /// The company's campaigns in all, not only on this page.
    public var total: Int
    public var summaries: [CampaignSummary]
}

/// One opt-out's reason (see `StatsStore.reasonEntries`).
public struct ReasonEntry: Equatable, Sendable {
    /// The event's place in its company's feed.
    public var seq: Int64
    public var reason: String?
    public var text: String?
    public var occurredAt: Date
}

/// A campaign's results, as `StatsStore.stats` reads them.
public struct CampaignStats: Equatable, Sendable {
    public struct ReasonText: Equatable, Sendable {
        public var seq: Int64
        public var text: String
        public var occurredAt: Date
    }

    public var links: Int
    public var visits: VisitCounts
    public var optOutsBySource: [String: Int]
    public var reasons: [(key: String, count: Int)]
    public var reasonTexts: [ReasonText]
    public var perDay: [(date: String, optOuts: Int)]

    public var optOuts: Int { optOutsBySource.values.reduce(0, +) }

    public static func == (a: CampaignStats, b: CampaignStats) -> Bool {
        a.links == b.links && a.visits == b.visits && a.optOutsBySource == b.optOutsBySource
            && a.reasons.map(\.key) == b.reasons.map(\.key) && a.reasons.map(\.count) == b.reasons.map(\.count)
            && a.reasonTexts == b.reasonTexts && a.perDay.map(\.date) == b.perDay.map(\.date)
            && a.perDay.map(\.optOuts) == b.perDay.map(\.optOuts)
    }
}
