import Foundation
import PostgresNIO
import StoplinkCore

/// `StatsStore` on PostgreSQL.
extension PostgresStore {
    public func stats(campaign: Campaign, reasonTextLimit: Int, reasonTextsBefore: Int64?) async throws -> CampaignStats {
        throw PostgresStore.unimplemented(#function)
    }

    public func optOutsBySource(companyID: String, since: Date) async throws -> [String: Int] {
        throw PostgresStore.unimplemented(#function)
    }

    public func campaignSummaries(companyID: String, sort: CampaignSort, descending: Bool, limit: Int, offset: Int) async throws -> CampaignSummaryPage {
        throw PostgresStore.unimplemented(#function)
    }

    public func reasonEntries(campaignID: Int64, freeTextOnly: Bool, search: String?, after: ReasonEntry?, offset: Int, limit: Int) async throws -> [ReasonEntry] {
        throw PostgresStore.unimplemented(#function)
    }

    public func reasonEntryCount(campaignID: Int64, freeTextOnly: Bool, search: String?) async throws -> Int {
        throw PostgresStore.unimplemented(#function)
    }

    public func optOutDelays(campaignID: Int64, bounds: [TimeInterval]) async throws -> [Int] {
        throw PostgresStore.unimplemented(#function)
    }

    public func optOutsPerDay(companyID: String, since: Date) async throws -> [(date: String, optOuts: Int)] {
        throw PostgresStore.unimplemented(#function)
    }

}

