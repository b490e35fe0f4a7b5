import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: campaign stats")
struct StatsStoreContract {
    @Test("stats count links, visits, opt-outs by source, reasons, days and free texts", arguments: StoreFactory.all)
    func stats(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let links = try await store.issueLinks(campaign: campaign, phones: try (0..<4).map(Sample.phone), codeLength: 10, at: Sample.now)
            try await store.recordVisits([
                Visit(linkID: links[0].id, kind: .human, visitor: "a", at: Sample.now),
                Visit(linkID: links[1].id, kind: .human, visitor: "a", at: Sample.now),
                Visit(linkID: links[1].id, kind: .bot, visitor: "b", at: Sample.now),
            ])
            _ = try await store.recordOptOut(Sample.optOut(company, links[0].phone, campaign: campaign))
            _ = try await store.recordOptOut(Sample.optOut(company, links[1].phone, source: .keyword, campaign: campaign, at: Sample.now + Sample.day))
            var noReason = Sample.optOut(company, links[2].phone, campaign: campaign)
            noReason.reason = nil
            noReason.reasonText = nil
            _ = try await store.recordOptOut(noReason)

            let stats = try await store.stats(campaign: campaign, reasonTextLimit: 1, reasonTextsBefore: nil)

            #expect(stats.links == 4)
            #expect(stats.visits == VisitCounts(human: 2, bot: 1, uniqueHumans: 1))
            #expect(stats.optOutsBySource == ["link": 2, "keyword": 1])
            #expect(stats.optOuts == 3)
            #expect(stats.reasons.map(\.key) == ["too_many"])
            #expect(stats.reasons.map(\.count) == [2])
            #expect(stats.reasonTexts.count == 1)
            #expect(stats.reasonTexts.first?.occurredAt == Sample.now + Sample.day)
            #expect(stats.perDay.map(\.date) == ["2025-06-15", "2025-06-16"])
            #expect(stats.perDay.map(\.optOuts) == [2, 1])
        }
    }
}
