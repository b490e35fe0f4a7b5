import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: idempotent answers")
struct IdempotencyStoreContract {
    static func answer(_ index: Int) -> IdempotentAnswer {
        IdempotentAnswer(requestHash: "hash-\(index)", status: 201, contentType: "application/json", body: Data("{\"n\":\(index)}".utf8))
    }

    @Test("an answer is saved once and never replaced", arguments: StoreFactory.all)
    func savedOnce(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()

            let first = try await store.saveIdempotentAnswer(companyID: company.id, key: "k1", answer: Self.answer(1), at: Sample.now)
            let second = try await store.saveIdempotentAnswer(companyID: company.id, key: "k1", answer: Self.answer(2), at: Sample.now)

            #expect(first)
            #expect(!second)
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "k1") == Self.answer(1))
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "k2") == nil)
        }
    }

    @Test("of parallel saves under one key exactly one wins, and its answer is kept", arguments: StoreFactory.all)
    func parallelSaves(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()

            let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        (index, try await store.saveIdempotentAnswer(companyID: company.id, key: "k", answer: Self.answer(index), at: Sample.now))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            let winners = results.filter(\.1).map(\.0)
            #expect(winners.count == 1)
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "k") == winners.first.map(Self.answer))
        }
    }
}
