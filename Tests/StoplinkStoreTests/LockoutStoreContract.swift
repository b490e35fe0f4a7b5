import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: wrong numbers and the lockout")
struct LockoutStoreContract {
    static let limit = 5

    func link(in store: any Store) async throws -> (Company, Link) {
        let (company, campaign) = try await store.acmeWithCampaign()
        let links = try await store.issueLinks(campaign: campaign, phones: [Sample.phone("+31612345678")], codeLength: 10, at: Sample.now)
        return (company, links[0])
    }

    @Test("the landing read answers what the single reads answer, before and after wrong numbers and an opt-out", arguments: StoreFactory.all)
    func landingMatchesTheSingleReads(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, link) = try await link(in: store)
            let since = Sample.now.addingTimeInterval(-Sample.day)
            let fresh = try await store.landing(code: link.code, wrongNumbersSince: since)

            _ = try await store.recordFailedAttempt(linkID: link.id, at: Sample.now, countingSince: since)
            _ = try await store.recordFailedAttempt(linkID: link.id, at: Sample.now, countingSince: since)
            _ = try await store.recordOptOut(Sample.optOut(company, link.phone))
            let after = try await store.landing(code: link.code, wrongNumbersSince: since)
            let outsideWindow = try await store.landing(code: link.code, wrongNumbersSince: Sample.now.addingTimeInterval(1))

            #expect(fresh == Landing(link: link, company: company, suppression: nil, wrongNumbers: 0))
            let suppression = try await store.suppression(companyID: company.id, phone: link.phone)
            #expect(suppression != nil)
            #expect(after == Landing(link: link, company: company, suppression: suppression, wrongNumbers: 2))
            #expect(outsideWindow?.wrongNumbers == 0)
            #expect(try await store.landing(code: "zzzzzzzzzz", wrongNumbersSince: since) == nil)

            // A changed company shows in the next read, after reads of the unchanged one.
            var renamed = company
            renamed.name = "Acme Renamed"
            renamed.pageText = ["en": "New text"]
            try await store.updateCompany(renamed)
            #expect(try await store.landing(code: link.code, wrongNumbersSince: since)?.company == renamed)
            #expect(try await store.company(id: company.id) == renamed)
        }
    }

    @Test("failed attempts are counted within the window", arguments: StoreFactory.all)
    func failedAttempts(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            let links = try await store.issueLinks(
                campaign: campaign, phones: [Sample.phone("+31612345678"), Sample.phone("+31612345679")], codeLength: 10, at: Sample.now
            )
            let times = [Sample.now, Sample.now.addingTimeInterval(10 * 3600), Sample.now.addingTimeInterval(30 * 3600)]

            var counts: [Int] = []
            for time in times {
                counts.append(try await store.recordFailedAttempt(linkID: links[0].id, at: time, countingSince: time.addingTimeInterval(-Sample.day)))
            }

            // The first attempt is 30 hours old when the third is made, so it falls out of the window.
            #expect(counts == [1, 2, 2])
            #expect(try await store.failedAttempts(linkID: links[0].id, since: Sample.now.addingTimeInterval(-1)) == 3)
            #expect(try await store.failedAttempts(linkID: links[0].id, since: Sample.now.addingTimeInterval(20 * 3600)) == 1)
            #expect(try await store.failedAttempts(linkID: links[1].id, since: Sample.now.addingTimeInterval(-Sample.day)) == 0)
        }
    }

    @Test("a link opt-out goes through below the limit and is refused at it", arguments: StoreFactory.all)
    func linkOptOutAtLimit(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, link) = try await link(in: store)
            let since = Sample.now.addingTimeInterval(-Sample.day)
            for _ in 1..<Self.limit { _ = try await store.recordFailedAttempt(linkID: link.id, at: Sample.now, countingSince: since) }
            let below = try await store.recordLinkOptOut(
                Sample.optOut(company, link.phone), linkID: link.id, wrongNumbersSince: since, limit: Self.limit
            )
            _ = try await store.recordOptIn(companyID: company.id, phone: link.phone, source: .api, evidence: "test", at: Sample.now)
            _ = try await store.recordFailedAttempt(linkID: link.id, at: Sample.now, countingSince: since)

            let atLimit = try await store.recordLinkOptOut(
                Sample.optOut(company, link.phone), linkID: link.id, wrongNumbersSince: since, limit: Self.limit
            )

            #expect(below?.recorded != nil)
            #expect(atLimit == nil)
            #expect(try await store.suppression(companyID: company.id, phone: link.phone) == nil)
        }
    }

    @Test("parallel wrong numbers each see their own count, so exactly one reaches the limit", arguments: StoreFactory.all)
    func parallelWrongNumbers(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, link) = try await link(in: store)
            let since = Sample.now.addingTimeInterval(-Sample.day)

            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask { try await store.recordFailedAttempt(linkID: link.id, at: Sample.now, countingSince: since) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let after = try await store.recordLinkOptOut(
                Sample.optOut(company, link.phone), linkID: link.id, wrongNumbersSince: since, limit: Self.limit
            )

            #expect(counts.sorted() == Array(1...Sample.writers))
            #expect(counts.filter { $0 == Self.limit }.count == 1)
            #expect(after == nil)
        }
    }

    @Test("parallel wrong numbers and opt-outs never let an opt-out past the limit", arguments: StoreFactory.all)
    func parallelGuessesAndOptOuts(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, link) = try await link(in: store)
            let since = Sample.now.addingTimeInterval(-Sample.day)
            // One wrong number short of the lock: whichever comes first, wrong number or opt-out, decides.
            for _ in 1..<Self.limit { _ = try await store.recordFailedAttempt(linkID: link.id, at: Sample.now, countingSince: since) }

            enum Result: Sendable { case wrong(Int), optOut(OptOutOutcome?) }
            let results = try await withThrowingTaskGroup(of: Result.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        if index.isMultiple(of: 2) {
                            return .wrong(try await store.recordFailedAttempt(linkID: link.id, at: Sample.now, countingSince: since))
                        }
                        return .optOut(try await store.recordLinkOptOut(
                            Sample.optOut(company, link.phone), linkID: link.id, wrongNumbersSince: since, limit: Self.limit
                        ))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            let counts = results.compactMap { if case .wrong(let count) = $0 { count } else { nil } }
            let optOuts = results.compactMap { if case .optOut(let outcome) = $0 { outcome } else { nil } }
            let history = try await store.history(companyID: company.id, phone: link.phone)
            #expect(counts.sorted() == Array(Self.limit..<(Self.limit + Sample.writers / 2)))
            #expect(history.count <= 1)
            #expect(optOuts.compactMap(\.recorded).count == history.count)
        }
    }
}
