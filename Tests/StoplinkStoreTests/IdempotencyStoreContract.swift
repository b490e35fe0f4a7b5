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
            let company = try await store.acme()

            let first = try await store.saveIdempotentAnswer(companyID: company.id, key: "k1", answer: Self.answer(1), at: Sample.now)
            let second = try await store.saveIdempotentAnswer(companyID: company.id, key: "k1", answer: Self.answer(2), at: Sample.now)

            #expect(first)
            #expect(!second)
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "k1", at: Sample.now) == Self.answer(1))
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "k2", at: Sample.now) == nil)
        }
    }

    @Test("of parallel saves under one key exactly one wins, and its answer is kept", arguments: StoreFactory.all)
    func parallelSaves(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()

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
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "k", at: Sample.now) == winners.first.map(Self.answer))
        }
    }

    @Test("of parallel reservations of one key exactly one runs; the others see it in flight, then its answer",
          arguments: StoreFactory.all)
    func parallelReservations(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()

            let outcomes = try await withThrowingTaskGroup(of: IdempotencyReservation.self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask {
                        try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-1", at: Sample.now)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let saved = try await store.saveIdempotentAnswer(companyID: company.id, key: "k", answer: Self.answer(1), at: Sample.now)
            let after = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-1", at: Sample.now)

            #expect(outcomes.filter { $0 == .reserved }.count == 1)
            #expect(outcomes.filter { $0 == .inFlight(requestHash: "hash-1") }.count == Sample.writers - 1)
            #expect(saved)
            #expect(after == .answered(Self.answer(1)))
        }
    }

    @Test("a released reservation can be taken again; a saved answer is never released", arguments: StoreFactory.all)
    func release(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            _ = try await store.reserveIdempotencyKey(companyID: company.id, key: "failed", requestHash: "hash-1", at: Sample.now)
            _ = try await store.saveIdempotentAnswer(companyID: company.id, key: "done", answer: Self.answer(2), at: Sample.now)

            try await store.releaseIdempotencyKey(companyID: company.id, key: "failed")
            try await store.releaseIdempotencyKey(companyID: company.id, key: "done")

            #expect(try await store.reserveIdempotencyKey(companyID: company.id, key: "failed", requestHash: "hash-1", at: Sample.now) == .reserved)
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "done", at: Sample.now) == Self.answer(2))
        }
    }

    @Test("a reservation whose request never finished is taken over once it is stale, not before", arguments: StoreFactory.all)
    func staleReservation(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            _ = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-1", at: Sample.now)
            let justBefore = Sample.now.addingTimeInterval(IdempotencyLifetime.reservation - 1)
            let after = Sample.now.addingTimeInterval(IdempotencyLifetime.reservation + 1)

            let early = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-2", at: justBefore)
            let late = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-2", at: after)
            let again = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-2", at: after)

            #expect(early == .inFlight(requestHash: "hash-1"))
            #expect(late == .reserved)
            #expect(again == .inFlight(requestHash: "hash-2"))
        }
    }

    @Test("an answer is replayed for a day, then forgotten: reads ignore it and the next reservation deletes it",
          arguments: StoreFactory.all)
    func answersExpire(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            _ = try await store.saveIdempotentAnswer(companyID: company.id, key: "old", answer: Self.answer(1), at: Sample.now)
            let lastMinute = Sample.now.addingTimeInterval(IdempotencyLifetime.answer - 60)
            let dayAndHourLater = Sample.now.addingTimeInterval(IdempotencyLifetime.answer + 3600)

            let withinDay = try await store.idempotentAnswer(companyID: company.id, key: "old", at: lastMinute)
            let afterDay = try await store.idempotentAnswer(companyID: company.id, key: "old", at: dayAndHourLater)
            let otherKey = try await store.reserveIdempotencyKey(companyID: company.id, key: "new", requestHash: "hash-2", at: dayAndHourLater)

            #expect(withinDay == Self.answer(1))
            #expect(afterDay == nil)
            #expect(otherKey == .reserved)
            #expect(try await store.idempotentAnswer(companyID: company.id, key: "old", at: Sample.now) == nil, "deleted, not only hidden")
            #expect(try await store.reserveIdempotencyKey(companyID: company.id, key: "old", requestHash: "hash-3", at: dayAndHourLater) == .reserved)
        }
    }

    @Test("of parallel takeovers of one stale reservation exactly one runs", arguments: StoreFactory.all)
    func parallelTakeovers(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            _ = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-dead", at: Sample.now)
            let later = Sample.now.addingTimeInterval(IdempotencyLifetime.reservation + 1)

            let outcomes = try await withThrowingTaskGroup(of: IdempotencyReservation.self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask {
                        try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-2", at: later)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            #expect(outcomes.filter { $0 == .reserved }.count == 1)
            #expect(outcomes.filter { $0 == .inFlight(requestHash: "hash-2") }.count == Sample.writers - 1)
        }
    }

    @Test("reservations and saves racing on one key: one request runs, one answer is kept, and late callers replay it",
          arguments: StoreFactory.all)
    func reserveWhileSaving(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()

            let saved = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        if index.isMultiple(of: 2) {
                            _ = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-\(index)", at: Sample.now)
                            return nil
                        }
                        let won = try await store.saveIdempotentAnswer(companyID: company.id, key: "k", answer: Self.answer(index), at: Sample.now)
                        return won ? index : nil
                    }
                }
                return try await group.reduce(into: [Int]()) { winners, winner in winner.map { winners.append($0) } }
            }
            let after = try await store.reserveIdempotencyKey(companyID: company.id, key: "k", requestHash: "hash-late", at: Sample.now)

            #expect(saved.count == 1)
            #expect(after == saved.first.map { .answered(Self.answer($0)) })
        }
    }
}
