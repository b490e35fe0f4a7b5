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

    @Test("campaign summaries: one page in the asked order with figures, the total, and nothing of other companies", arguments: StoreFactory.all)
    func campaignSummaries(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, spring) = try await store.acmeWithCampaign()
            let autumn = try await store.createCampaign(companyID: company.id, ref: "autumn", name: "", purpose: .marketing, at: Sample.now + 1)
            _ = try await store.createCampaign(
                companyID: company.id, ref: "winter", name: "Winter", purpose: .marketing, at: Sample.now + 2
            )
            let other = try await store.createCompany(name: "Other", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
            _ = try await store.createCampaign(companyID: other.id, ref: "elsewhere", name: "Elsewhere", purpose: .marketing, at: Sample.now + 3)
            // spring: 4 links, 1 opt-out (25 %), 2 human visits; autumn: 2 links, 1 opt-out (50 %); winter: none.
            let springLinks = try await store.issueLinks(campaign: spring, phones: try (0..<4).map(Sample.phone), codeLength: 10, at: Sample.now)
            let autumnLinks = try await store.issueLinks(campaign: autumn, phones: try (4..<6).map(Sample.phone), codeLength: 10, at: Sample.now)
            try await store.recordVisits([
                Visit(linkID: springLinks[0].id, kind: .human, visitor: "a", at: Sample.now),
                Visit(linkID: springLinks[1].id, kind: .human, visitor: "b", at: Sample.now),
                Visit(linkID: springLinks[1].id, kind: .bot, visitor: "c", at: Sample.now),
            ])
            _ = try await store.recordOptOut(Sample.optOut(company, springLinks[0].phone, campaign: spring))
            _ = try await store.recordOptOut(Sample.optOut(company, autumnLinks[0].phone, campaign: autumn))
            _ = try await store.recordOptIn(companyID: company.id, phone: autumnLinks[0].phone, source: .api, evidence: "asked", at: Sample.now + 5)

            let newest = try await store.campaignSummaries(companyID: company.id, sort: .created, descending: true, limit: 2, offset: 0)
            let rest = try await store.campaignSummaries(companyID: company.id, sort: .created, descending: true, limit: 2, offset: 2)
            let byName = try await store.campaignSummaries(companyID: company.id, sort: .name, descending: false, limit: 10, offset: 0)
            let byRate = try await store.campaignSummaries(companyID: company.id, sort: .rate, descending: true, limit: 10, offset: 0)
            let byLinks = try await store.campaignSummaries(companyID: company.id, sort: .links, descending: false, limit: 10, offset: 0)
            let byVisits = try await store.campaignSummaries(companyID: company.id, sort: .visits, descending: true, limit: 10, offset: 0)
            let past = try await store.campaignSummaries(companyID: company.id, sort: .optOuts, descending: true, limit: 10, offset: 50)

            #expect(newest.total == 3)
            #expect(newest.summaries.map(\.campaign.ref) == ["winter", "autumn"])
            #expect(rest.summaries.map(\.campaign.ref) == ["spring-sale"])
            let springSummary = try #require(rest.summaries.first)
            #expect(springSummary == CampaignSummary(campaign: spring, links: 4, humanVisits: 2, optOuts: 1))
            // An empty name sorts by its ref: "autumn", "Spring sale", "Winter" (case aside).
            #expect(byName.summaries.map(\.campaign.ref) == ["autumn", "spring-sale", "winter"])
            #expect(byRate.summaries.map(\.campaign.ref) == ["autumn", "spring-sale", "winter"])
            #expect(byLinks.summaries.map(\.links) == [0, 2, 4])
            #expect(byVisits.summaries.map(\.humanVisits) == [2, 0, 0])
            // An opt-in later does not take the opt-out out of the ledger's count.
            #expect(byRate.summaries.first?.optOuts == 1)
            #expect(past.total == 3)
            #expect(past.summaries.isEmpty)
            #expect(try await store.campaignSummaries(companyID: other.id, sort: .created, descending: true, limit: 10, offset: 0).total == 1)
        }
    }

    @Test("reason entries: newest first, free texts only or every reason, searched, paged and counted", arguments: StoreFactory.all)
    func reasonEntries(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let texts: [String?] = ["Too many messages", "100% not for me_", nil, "too MANY, really", "=HYPERLINK(\"x\")"]
            for (index, text) in texts.enumerated() {
                var request = Sample.optOut(company, try Sample.phone(index), campaign: campaign, at: Sample.now + Double(index))
                request.reasonText = text
                request.reason = index == 1 ? nil : "too_many"
                _ = try await store.recordOptOut(request)
            }
            // Recorded last but occurred first (an import of an old opt-out, say): it comes last.
            var late = Sample.optOut(company, try Sample.phone(8), campaign: campaign, at: Sample.now - Sample.day)
            late.reasonText = "recorded late"
            _ = try await store.recordOptOut(late)
            var bare = Sample.optOut(company, try Sample.phone(9), campaign: campaign)
            bare.reason = nil
            bare.reasonText = nil
            _ = try await store.recordOptOut(bare)

            let all = try await store.reasonEntries(campaignID: campaign.id, freeTextOnly: false, search: nil, after: nil, offset: 0, limit: 50)
            let free = try await store.reasonEntries(campaignID: campaign.id, freeTextOnly: true, search: nil, after: nil, offset: 0, limit: 50)
            let many = try await store.reasonEntries(campaignID: campaign.id, freeTextOnly: true, search: "Many", after: nil, offset: 0, limit: 50)
            let percent = try await store.reasonEntries(campaignID: campaign.id, freeTextOnly: true, search: "%", after: nil, offset: 0, limit: 50)
            let underscore = try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: true, search: "_")
            let second = try await store.reasonEntries(campaignID: campaign.id, freeTextOnly: true, search: nil, after: nil, offset: 1, limit: 2)
            let before = try await store.reasonEntries(
                campaignID: campaign.id, freeTextOnly: false, search: nil, after: all[1], offset: 0, limit: 50
            )

            #expect(all.map(\.text) == Array(texts.reversed()) + ["recorded late"])
            #expect(all.map(\.reason) == ["too_many", "too_many", "too_many", nil, "too_many", "too_many"])
            #expect(free.map(\.text) == ["=HYPERLINK(\"x\")", "too MANY, really", "100% not for me_", "Too many messages", "recorded late"])
            #expect(many.map(\.text) == ["too MANY, really", "Too many messages"])
            #expect(percent.map(\.text) == ["100% not for me_"])
            #expect(underscore == 1)
            #expect(second.map(\.text) == ["too MANY, really", "100% not for me_"])
            #expect(before.map(\.text) == Array(all.dropFirst(2).map(\.text)))
            #expect(try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: false, search: nil) == 6)
            #expect(try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: true, search: "many") == 2)
            #expect(try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: true, search: "nothing like it") == 0)
        }
    }

    @Test("opt-outs by time from the link's issue (else the campaign's creation) to the opt-out, in buckets", arguments: StoreFactory.all)
    func optOutDelays(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let hour: TimeInterval = 3_600
            // Links issued an hour after the campaign: the delay counts from there.
            let links = try await store.issueLinks(campaign: campaign, phones: try (0..<4).map(Sample.phone), codeLength: 10, at: Sample.now + hour)
            _ = try await store.recordOptOut(Sample.optOut(company, links[0].phone, campaign: campaign, at: Sample.now + hour + 59 * 60))
            _ = try await store.recordOptOut(Sample.optOut(company, links[1].phone, campaign: campaign, at: Sample.now + 2 * hour))
            _ = try await store.recordOptOut(Sample.optOut(company, links[2].phone, campaign: campaign, at: Sample.now + hour + 3 * Sample.day))
            // No link for this number: from the campaign's creation, 30 days.
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(8), campaign: campaign, at: Sample.now + 30 * Sample.day))
            let other = try await store.createCampaign(companyID: company.id, ref: "other", name: "", purpose: .marketing, at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(9), campaign: other, at: Sample.now))

            let buckets = try await store.optOutDelays(campaignID: campaign.id, bounds: [hour, 6 * hour, Sample.day, 7 * Sample.day])
            let none = try await store.optOutDelays(campaignID: other.id + 100, bounds: [hour])

            #expect(buckets == [1, 1, 0, 1, 1])
            #expect(none == [0, 0])
        }
    }

    @Test("a company's opt-outs per UTC day since a moment; opt-ins and other companies not counted", arguments: StoreFactory.all)
    func optOutsPerDay(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Other", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1), at: Sample.now - 3 * Sample.day))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2), at: Sample.now - Sample.day))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(3), source: .keyword, at: Sample.now))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(4), at: Sample.now + 60))
            _ = try await store.recordOptIn(companyID: company.id, phone: try Sample.phone(4), source: .api, evidence: "asked", at: Sample.now + 120)
            _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(5), at: Sample.now))

            let days = try await store.optOutsPerDay(companyID: company.id, since: Sample.now - 2 * Sample.day)

            #expect(days.map(\.date) == ["2025-06-14", "2025-06-15"])
            #expect(days.map(\.optOuts) == [1, 2])
        }
    }

    @Test("a reason search takes a backslash as itself, and letters without case", arguments: StoreFactory.all)
    func reasonSearchBackslash(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            for (index, text) in ["Back\\Slash here", "no slash", "a%b_c"].enumerated() {
                var request = Sample.optOut(company, try Sample.phone(index), campaign: campaign, at: Sample.now + Double(index))
                request.reasonText = text
                _ = try await store.recordOptOut(request)
            }

            let slash = try await store.reasonEntries(campaignID: campaign.id, freeTextOnly: true, search: "k\\s", after: nil, offset: 0, limit: 10)
            let lone = try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: true, search: "\\")
            let wildcards = try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: true, search: "a%b_")
            let notWildcards = try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: true, search: "o%s")

            #expect(slash.map(\.text) == ["Back\\Slash here"])
            #expect(lone == 1)
            #expect(wildcards == 1)
            #expect(notWildcards == 0)
        }
    }
}
