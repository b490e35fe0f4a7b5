import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: retention")
struct RetentionStoreContract {
    static let to = "+3197010000000"

    @Test("a purge removes old details, keeps ledger rows, suppressions and every count", arguments: StoreFactory.all)
    func purge(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var (acme, campaign) = try await store.acmeWithCampaign()
            acme.retention = RetentionPeriods(visitsDays: 30, reasonsDays: 60, inboundDays: 10)
            try await store.updateCompany(acme)
            let globex = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            let purgeAt = Sample.now + 100 * Sample.day
            let recent = purgeAt - Sample.day
            let links = try await store.issueLinks(campaign: campaign, phones: try (0..<2).map(Sample.phone), codeLength: 10, at: Sample.now)
            try await store.recordVisits([
                Visit(linkID: links[0].id, kind: .human, visitor: "a", at: Sample.now),
                Visit(linkID: links[0].id, kind: .human, visitor: "a", at: Sample.now),
                Visit(linkID: links[0].id, kind: .bot, visitor: "x", at: Sample.now),
                Visit(linkID: links[1].id, kind: .human, visitor: "a", at: Sample.now),
                Visit(linkID: links[1].id, kind: .human, visitor: "a", at: recent),
                Visit(linkID: links[1].id, kind: .human, visitor: "b", at: recent),
            ])
            _ = try await store.recordOptOut(Sample.optOut(acme, links[0].phone, campaign: campaign))
            _ = try await store.recordOptOut(Sample.optOut(acme, links[1].phone, campaign: campaign, at: recent))
            _ = try await store.recordOptOut(Sample.optOut(globex, links[0].phone))
            let stop = InboundDecision(action: .optOut, reply: "Opted out.")
            let unclear = InboundDecision(action: .review, reply: nil, reviewDeadline: Sample.now + 14 * Sample.day)
            _ = try await store.processInbound(message(acme, id: "SM1", from: try Sample.phone(10), text: "STOP", at: Sample.now), decision: stop)
            _ = try await store.processInbound(message(acme, id: "SM2", from: try Sample.phone(11), text: "stop texting me please", at: Sample.now), decision: unclear)
            _ = try await store.processInbound(message(acme, id: "SM3", from: try Sample.phone(12), text: "Stop", at: recent), decision: stop)
            let statsBefore = try await store.stats(campaign: campaign, reasonTextLimit: 10, reasonTextsBefore: nil)
            let linkBefore = try await store.visitCounts(linkID: links[0].id)

            let counts = try await store.purgeExpired(at: purgeAt, batchSize: 2)
            let again = try await store.purgeExpired(at: purgeAt, batchSize: 2)

            #expect(counts == PurgeCounts(visits: 4, reasonTexts: 1, inboundTexts: 2))
            #expect(again == PurgeCounts())
            let stats = try await store.stats(campaign: campaign, reasonTextLimit: 10, reasonTextsBefore: nil)
            #expect(stats.visits == statsBefore.visits)
            #expect(stats.visits == VisitCounts(human: 5, bot: 1, uniqueHumans: 2))
            #expect(try await store.visitCounts(linkID: links[0].id) == linkBefore)
            #expect(try await store.visitCounts(linkID: links[1].id) == VisitCounts(human: 3, bot: 0, uniqueHumans: 2))
            #expect(stats.optOutsBySource == statsBefore.optOutsBySource)
            #expect(stats.reasons.map(\.count) == statsBefore.reasons.map(\.count))
            #expect(stats.perDay.map(\.optOuts) == statsBefore.perDay.map(\.optOuts))
            #expect(stats.reasonTexts.map(\.occurredAt) == [recent])
            let old = try await store.history(companyID: acme.id, phone: links[0].phone)
            #expect(old.map(\.action) == [.optOut] && old.map(\.source) == [.link] && old.map(\.occurredAt) == [Sample.now])
            #expect(old.first?.reason == "too_many" && old.first?.reasonText == nil && old.first?.campaignRef == "spring-sale")
            #expect(try await store.suppression(companyID: acme.id, phone: links[0].phone)?.since == Sample.now)
            #expect(try await store.suppression(companyID: acme.id, phone: try Sample.phone(10))?.source == .keyword)
            #expect(try await store.history(companyID: globex.id, phone: links[0].phone).first?.reasonText == "Too many messages")
            #expect(try await store.reviewQueue(companyID: acme.id).map(\.text) == ["stop texting me please"])
        }
    }

    @Test("visits recorded while a purge runs are neither lost nor miscounted", arguments: StoreFactory.all)
    func purgeWhileVisiting(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (campaign, links) = try await visitsKeptOneDay(store, links: 1)
            let link = links[0]
            let purgeAt = Sample.now + 10 * Sample.day
            try await store.recordVisits((0..<200).map { Visit(linkID: link.id, kind: .human, visitor: "v\($0 % 50)", at: Sample.now) })

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await store.purgeExpired(at: purgeAt, batchSize: 7) }
                for writer in 0..<Sample.writers {
                    group.addTask {
                        try await store.recordVisits([Visit(linkID: link.id, kind: .human, visitor: "w\(writer)", at: purgeAt)])
                    }
                }
                try await group.waitForAll()
            }

            let counts = try await store.visitCounts(linkID: link.id)
            #expect(counts == VisitCounts(human: 200 + Sample.writers, bot: 0, uniqueHumans: 50 + Sample.writers))
            #expect(try await store.stats(campaign: campaign, reasonTextLimit: 1, reasonTextsBefore: nil).visits == counts)
        }
    }

    @Test("two purges at once, as two processes run them, remove and count every visit once", arguments: StoreFactory.all)
    func parallelPurges(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (campaign, links) = try await visitsKeptOneDay(store, links: 2)
            let purgeAt = Sample.now + 10 * Sample.day
            try await store.recordVisits((0..<120).map { Visit(linkID: links[$0 % 2].id, kind: .human, visitor: "v\($0 % 30)", at: Sample.now) })
            try await store.recordVisits([Visit(linkID: links[0].id, kind: .human, visitor: "v0", at: purgeAt)])

            let purged = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 { group.addTask { try await store.purgeExpired(at: purgeAt, batchSize: 7).visits } }
                return try await group.reduce(0, +)
            }

            #expect(purged == 120)
            #expect(try await store.visitCounts(linkID: links[0].id) == VisitCounts(human: 61, bot: 0, uniqueHumans: 15))
            #expect(try await store.visitCounts(linkID: links[1].id) == VisitCounts(human: 60, bot: 0, uniqueHumans: 15))
            #expect(try await store.stats(campaign: campaign, reasonTextLimit: 1, reasonTextsBefore: nil).visits
                    == VisitCounts(human: 121, bot: 0, uniqueHumans: 30))
        }
    }

    /// Acme keeping visits for one day, its campaign, and that many links of the campaign.
    func visitsKeptOneDay(_ store: any Store, links count: Int) async throws -> (Campaign, [Link]) {
        var (acme, campaign) = try await store.acmeWithCampaign()
        acme.retention.visitsDays = 1
        try await store.updateCompany(acme)
        let links = try await store.issueLinks(campaign: campaign, phones: try (0..<count).map(Sample.phone), codeLength: 10, at: Sample.now)
        return (campaign, links)
    }

    func message(_ company: Company, id: String, from: PhoneNumber, text: String, at date: Date) -> InboundMessage {
        InboundMessage(companyID: company.id, gateway: .generic, messageID: id, from: from, to: Self.to, text: text, receivedAt: date)
    }
}
