import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: visits")
struct VisitStoreContract {
    @Test("visits are counted as human, bot and unique humans, per link", arguments: StoreFactory.all)
    func visits(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            let links = try await store.issueLinks(
                campaign: campaign, phones: [Sample.phone("+31612345678"), Sample.phone("+31612345679")], codeLength: 10, at: Sample.now
            )
            let id = links[0].id
            let now = Sample.now
            let visits = [
                Visit(linkID: id, kind: .bot, visitor: "preview", at: now),
                Visit(linkID: id, kind: .bot, visitor: "preview", at: now),
                Visit(linkID: id, kind: .human, visitor: "alice", at: now),
                Visit(linkID: id, kind: .human, visitor: "alice", at: now.addingTimeInterval(5)),
                Visit(linkID: id, kind: .human, visitor: "bob", at: now),
                Visit(linkID: id, kind: .bot, visitor: "bob", at: now),
                Visit(linkID: links[1].id, kind: .human, visitor: "carol", at: now),
            ]

            try await store.recordVisits(visits)
            try await store.recordVisits([])

            #expect(try await store.visitCounts(linkID: id) == VisitCounts(human: 3, bot: 3, uniqueHumans: 2))
            #expect(try await store.visitCounts(linkID: links[1].id) == VisitCounts(human: 1, bot: 0, uniqueHumans: 1))
            #expect(try await store.visitCounts(linkID: 9_999) == VisitCounts(human: 0, bot: 0, uniqueHumans: 0))
        }
    }
}
