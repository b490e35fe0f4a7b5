import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: imports")
struct ImportStoreContract {
    @Test("an import adds new numbers and counts those already opted out", arguments: StoreFactory.all)
    func addsAndCounts(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            let rows = try [1, 2, 3].map { ImportRow(phone: try Sample.phone($0), optedOutAt: Sample.now.addingTimeInterval(-3600), reason: "legacy") }

            let counts = try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing)

            #expect(counts.added == 2 && counts.already == 1)
            let imported = try #require(try await store.suppression(companyID: company.id, phone: try Sample.phone(2)))
            #expect(imported.source == .import)
            #expect(imported.since == Sample.now.addingTimeInterval(-3600))
            #expect(try await store.history(companyID: company.id, phone: try Sample.phone(2)).first?.reason == "legacy")
            #expect(try await store.suppression(companyID: company.id, phone: try Sample.phone(1))?.source == .link)
        }
    }

    @Test("an import queues one delivery per added opt-out for each endpoint that wants it, numbered after the endpoint's last, in feed order",
          arguments: StoreFactory.all)
    func queuesDeliveries(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let all = try await store.createEndpoint(companyID: company.id, url: "https://all.example", description: "", eventTypes: [], at: Sample.now)
            let created = try await store.createEndpoint(
                companyID: company.id, url: "https://created.example", description: "", eventTypes: ["optout.created"], at: Sample.now
            )
            let revoked = try await store.createEndpoint(
                companyID: company.id, url: "https://revoked.example", description: "", eventTypes: ["optout.revoked"], at: Sample.now
            )
            let off = try await store.createEndpoint(companyID: company.id, url: "https://off.example", description: "", eventTypes: [], at: Sample.now)
            _ = try await store.setEndpointEnabled(id: off.id, companyID: company.id, enabled: false, reason: "test")
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            // 4, 2 and 3 are added (2 once), 1 is already opted out.
            let rows = try [4, 1, 2, 3, 2].map { ImportRow(phone: try Sample.phone($0), optedOutAt: Sample.now, reason: nil) }

            let counts = try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing)

            #expect(counts.addedRows == [true, false, true, true, false])
            let events = try await store.events(companyID: company.id, after: 0, upTo: Int64.max, limit: 10)
            #expect(try events.map(\.phone) == [1, 4, 2, 3].map { try Sample.phone($0) })
            for endpoint in [all, created] {
                let deliveries = try await store.deliveries(endpointID: endpoint.id, limit: 10).sorted { $0.number < $1.number }
                #expect(deliveries.map(\.number) == [1, 2, 3, 4])
                #expect(deliveries.map(\.eventSeq) == events.map(\.seq))
                #expect(deliveries.allSatisfy { $0.status == .pending })
            }
            #expect(try await store.deliveries(endpointID: revoked.id, limit: 10).isEmpty)
            #expect(try await store.deliveries(endpointID: off.id, limit: 10).isEmpty)
        }
    }

    @Test("an import never narrows an opt-out of everything, and widens a marketing one", arguments: StoreFactory.all)
    func neverNarrows(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1), scope: .all))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2), scope: .marketing))
            let row = { (index: Int) in ImportRow(phone: try Sample.phone(index), optedOutAt: Sample.now, reason: nil) }

            let narrower = try await store.importOptOuts(companyID: company.id, rows: [try row(1)], scope: .marketing)
            let wider = try await store.importOptOuts(companyID: company.id, rows: [try row(2)], scope: .all)

            #expect(narrower.added == 0 && narrower.already == 1)
            #expect(wider.added == 1 && wider.already == 0)
            #expect(try await store.suppression(companyID: company.id, phone: try Sample.phone(1))?.scope == .all)
            #expect(try await store.suppression(companyID: company.id, phone: try Sample.phone(2))?.scope == .all)
        }
    }

    @Test("an import says for each row whether it was added, and keeps the importing user", arguments: StoreFactory.all)
    func perRow(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2)))
            let ann = ConsentActor(userID: "user-1", email: "ann@acme.example")
            let rows = try [1, 2, 3, 1].map { ImportRow(phone: try Sample.phone($0), optedOutAt: Sample.now, reason: nil) }

            let counts = try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing, actor: ann)

            #expect(counts.addedRows == [true, false, true, false])
            #expect(counts.added == 2 && counts.already == 2)
            #expect(try await store.history(companyID: company.id, phone: try Sample.phone(1)).map(\.actor) == [ann])
        }
    }

    @Test("an import keeps reasons with tabs, line breaks, backslashes and other scripts exactly", arguments: StoreFactory.all)
    func reasonsKeptExactly(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let reasons: [String?] = ["tab\there", "two\nlines\r\nand more", #"back\slash \N \t"#, "Слишком много 📵", "", nil]
            let rows = try reasons.indices.map { ImportRow(phone: try Sample.phone($0), optedOutAt: Sample.now, reason: reasons[$0]) }

            let counts = try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing)

            #expect(counts.added == reasons.count)
            let imported = try await store.events(companyID: company.id, after: 0, upTo: Int64.max, limit: 100)
            #expect(imported.map(\.reason) == reasons)
            #expect(imported.map(\.phone) == rows.map(\.phone))
            #expect(imported.allSatisfy { $0.source == .import && $0.scope == .marketing && $0.occurredAt == Sample.now })
        }
    }

    @Test("a large import numbers its rows in order after the feed's head and answers each row", arguments: StoreFactory.all)
    func largeImport(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(7)))
            // Every tenth number appears twice; number 7 is already opted out.
            let indices = (0..<5_000).map { $0.isMultiple(of: 10) ? $0 / 10 : $0 }
            let rows = try indices.map { ImportRow(phone: try Sample.phone($0), optedOutAt: Sample.now - Double($0), reason: "r\($0)") }

            let counts = try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing)

            var firstSeen = Set<Int>()
            let expected = indices.map { $0 != 7 && firstSeen.insert($0).inserted }
            #expect(counts.addedRows == expected)
            #expect(counts.added == expected.filter { $0 }.count && counts.already == expected.filter { !$0 }.count)
            let events = try await store.events(companyID: company.id, after: 1, upTo: Int64.max, limit: 10_000)
            let addedIndices = zip(indices, expected).filter(\.1).map(\.0)
            #expect(events.map(\.seq) == Array(2...Int64(1 + counts.added)))
            #expect(events.map(\.phone) == (try addedIndices.map { try Sample.phone($0) }))
            #expect(events.map(\.reason) == addedIndices.map { "r\($0)" })
            #expect(try await store.feedHead(companyID: company.id) == Int64(1 + counts.added))
            #expect(try await store.suppression(companyID: company.id, phone: try Sample.phone(4_999))?.since == Sample.now - 4_999)
        }
    }

    @Test("parallel imports and opt-outs of overlapping numbers opt each number out once", arguments: StoreFactory.all)
    func parallelImports(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let numbers = 40

            let added = try await withThrowingTaskGroup(of: Int.self) { group in
                for importer in 0..<4 {
                    group.addTask {
                        // Each import holds every number, starting at its own place.
                        let rows = try (0..<numbers).map {
                            ImportRow(phone: try Sample.phone((importer * 10 + $0) % numbers), optedOutAt: Sample.now, reason: nil)
                        }
                        return try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing).added
                    }
                }
                for writer in 0..<Sample.writers {
                    group.addTask {
                        try await store.recordOptOut(Sample.optOut(company, try Sample.phone(writer * 2))).recorded == nil ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }

            #expect(added == numbers)
            #expect(try await store.events(companyID: company.id, after: 0, upTo: Int64.max, limit: 100).map(\.seq) == Array(1...Int64(numbers)))
            for index in 0..<numbers {
                #expect(try await store.history(companyID: company.id, phone: try Sample.phone(index)).count == 1)
            }
        }
    }
}
