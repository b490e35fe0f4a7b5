import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: the feed")
struct FeedStoreContract {
    @Test("events are paged by sequence number, oldest first, per company", arguments: StoreFactory.all)
    func paging(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            for index in 0..<5 {
                _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index)))
                _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(index)))
            }
            let head = try await store.feedHead(companyID: company.id)

            let first = try await store.events(companyID: company.id, after: 0, upTo: head, limit: 3)
            let rest = try await store.events(companyID: company.id, after: first.last?.seq ?? 0, upTo: head, limit: 3)

            #expect(first.count == 3)
            #expect(rest.count == 2)
            let seqs = (first + rest).map(\.seq)
            #expect(seqs == seqs.sorted())
            #expect((first + rest).allSatisfy { $0.companyID == company.id })
            #expect(rest.last?.seq == head)
            #expect(try await store.feedHead(companyID: "co_none") == 0)
        }
    }

    @Test("each company numbers its own events 1, 2, 3 without gaps, whatever others write", arguments: StoreFactory.all)
    func numberedPerCompany(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            // Globex is busy before Acme's first event and between Acme's events.
            for index in 0..<4 { _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(index))) }
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(0)))
            for index in 4..<7 { _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(index))) }
            _ = try await store.importOptOuts(companyID: company.id, rows: [
                ImportRow(phone: try Sample.phone(1), optedOutAt: Sample.now, reason: nil),
                ImportRow(phone: try Sample.phone(2), optedOutAt: Sample.now, reason: nil),
            ], scope: .marketing)
            _ = try await store.recordOptIn(companyID: company.id, phone: try Sample.phone(0), source: .api, evidence: "asked", at: Sample.now)

            let ours = try await store.events(companyID: company.id, after: 0, upTo: Int64.max, limit: 100)
            let theirs = try await store.events(companyID: other.id, after: 0, upTo: Int64.max, limit: 100)

            #expect(ours.map(\.seq) == [1, 2, 3, 4])
            #expect(theirs.map(\.seq) == Array(1...7))
            #expect(try await store.feedHead(companyID: company.id) == 4)
            #expect(Set(ours.map(\.rowID)).isDisjoint(with: theirs.map(\.rowID)), "row ids are the store's own and unique")
            #expect(try await store.feedPosition(companyID: company.id, legacySeq: ours[1].rowID) == 2)
        }
    }

    @Test("suppressions are paged by number", arguments: StoreFactory.all)
    func suppressions(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            for index in [3, 1, 2] { _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index))) }

            let first = try await store.suppressions(companyID: company.id, afterPhone: nil, limit: 2)
            let rest = try await store.suppressions(companyID: company.id, afterPhone: first.last?.phone.e164, limit: 2)

            #expect((first + rest).map(\.phone) == (try [1, 2, 3].map(Sample.phone)))
        }
    }

    @Test("a reader paging while many write sees every event exactly once, in order", arguments: StoreFactory.all)
    func readerNeverSkips(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let perWriter = 20
            let total = Sample.writers * perWriter

            let seen = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<Sample.writers {
                    group.addTask {
                        for index in 0..<perWriter {
                            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(writer * perWriter + index)))
                        }
                        return []
                    }
                }
                // The reader pages as a feed client does, from its cursor up to the head it saw.
                group.addTask {
                    var cursor: Int64 = 0
                    var seen: [Int64] = []
                    while seen.count < total {
                        try Task.checkCancellation()
                        let head = try await store.feedHead(companyID: company.id)
                        let page = try await store.events(companyID: company.id, after: cursor, upTo: head, limit: 7)
                        seen += page.map(\.seq)
                        cursor = page.last?.seq ?? cursor
                        if page.isEmpty { await Task.yield() }
                    }
                    return seen
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }

            let all = try await store.events(companyID: company.id, after: 0, upTo: Int64.max, limit: total + 1).map(\.seq)
            #expect(all.count == total)
            #expect(seen == all)
        }
    }

    @Test("readers of two companies paging while writers on many connections opt out, opt in and import see every event once, in order", arguments: StoreFactory.all)
    func readersNeverSkipUnderMixedWriters(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (acme, _) = try await store.acmeWithCampaign()
            let globex = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            let companies = [acme, globex]
            let rounds = 12
            // Every round of a writer writes one opt-out; every third also an opt-in, every fourth
            // an import of three new numbers: all of them are recorded, so each feed's end is known.
            let perWriter = rounds + rounds / 3 + 3 * (rounds / 4)
            let total = Int64(Sample.writers / 2 * perWriter)

            let seen = try await withThrowingTaskGroup(of: (String, [Int64]).self) { group in
                for writer in 0..<Sample.writers {
                    let company = companies[writer % 2]
                    group.addTask {
                        for round in 1...rounds {
                            let base = (writer * rounds + round) * 10
                            let number = try Sample.phone(base)
                            _ = try await store.recordOptOut(Sample.optOut(company, number))
                            if round.isMultiple(of: 3) {
                                _ = try await store.recordOptIn(companyID: company.id, phone: number, source: .api, evidence: "asked", at: Sample.now)
                            }
                            if round.isMultiple(of: 4) {
                                let rows = try (1...3).map { ImportRow(phone: try Sample.phone(base + $0), optedOutAt: Sample.now, reason: nil) }
                                _ = try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing)
                            }
                        }
                        return ("", [])
                    }
                }
                // One reader per company pages as a feed client does, from its cursor up to the head it saw.
                for company in companies {
                    group.addTask {
                        var cursor: Int64 = 0
                        var seen: [Int64] = []
                        while cursor < total {
                            try Task.checkCancellation()
                            let head = try await store.feedHead(companyID: company.id)
                            let page = try await store.events(companyID: company.id, after: cursor, upTo: head, limit: 5)
                            #expect(page.allSatisfy { $0.companyID == company.id })
                            seen += page.map(\.seq)
                            cursor = page.last?.seq ?? cursor
                            if page.isEmpty { await Task.yield() }
                        }
                        return (company.id, seen)
                    }
                }
                return try await group.reduce(into: [String: [Int64]]()) { seen, result in if !result.0.isEmpty { seen[result.0] = result.1 } }
            }

            for company in companies {
                let all = try await store.events(companyID: company.id, after: 0, upTo: Int64.max, limit: Int(total) + 1).map(\.seq)
                #expect(all == Array(1...total))
                #expect(seen[company.id] == all, "the reader of \(company.name) saw every event once, in order")
                #expect(try await store.feedHead(companyID: company.id) == total)
            }
        }
    }
}
