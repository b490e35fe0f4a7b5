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

    @Test("a company's opt-outs since a moment, by source; opt-ins and other companies not counted", arguments: StoreFactory.all)
    func optOutsBySource(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Other", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1), campaign: campaign, at: Sample.now - 8 * Sample.day))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2), campaign: campaign, at: Sample.now - Sample.day))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(3), source: .keyword, at: Sample.now))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(4), source: .api, at: Sample.now))
            _ = try await store.recordOptIn(companyID: company.id, phone: try Sample.phone(4), source: .api, evidence: "asked again", at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(5), at: Sample.now))

            let week = try await store.optOutsBySource(companyID: company.id, since: Sample.now - 7 * Sample.day)
            let today = try await store.optOutsBySource(companyID: company.id, since: Sample.now)
            let future = try await store.optOutsBySource(companyID: company.id, since: Sample.now + 1)

            #expect(week == ["link": 1, "keyword": 1, "api": 1])
            #expect(today == ["keyword": 1, "api": 1])
            #expect(future.isEmpty)
        }
    }
}
