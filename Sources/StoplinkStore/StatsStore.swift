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
