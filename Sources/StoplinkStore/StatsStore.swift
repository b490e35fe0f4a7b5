import Foundation
import StoplinkCore

/// A campaign's results.
public protocol StatsStore: Sendable {
    /// Links, visits, opt-outs by source, reasons, opt-outs per UTC day, and the newest
    /// `reasonTextLimit` free-text reasons with `seq` below `reasonTextsBefore` (newest first),
    /// all read from one snapshot.
    func stats(campaign: Campaign, reasonTextLimit: Int, reasonTextsBefore: Int64?) async throws -> CampaignStats
}
