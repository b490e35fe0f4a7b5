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
}
