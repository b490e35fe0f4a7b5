import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: companies")
struct CompanyStoreContract {
    @Test("a company is created with a co_ id and read back", arguments: StoreFactory.all)
    func create(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.createCompany(name: "Acme", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)

            #expect(company.defaultCountry == "NL")
            #expect(company.id.hasPrefix("co_"))
            #expect(company.inboundPolicy == .review)
            #expect(company.optOutScope == .marketing)
            #expect(try await store.company(id: company.id) == company)
            #expect(try await store.companyCount() == 1)
            #expect(try await store.company(id: "co_missing") == nil)
        }
    }

    @Test("every setting survives an update", arguments: StoreFactory.all)
    func update(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var company = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: "nl", at: Sample.now)
            company.name = "Acme BV"
            company.optOutScope = .all
            company.inboundPolicy = .apply
            company.reasons = [Reason(key: "too_many", labels: ["en": "Too many", "nl": "Te veel"])]
            company.pageText = ["en": "Page"]
            company.helpText = ["en": "Help"]
            company.confirmationText = ["nl": "Klaar"]
            company.twilioAuthToken = "token"
            company.keywords = ["opt_out": ["genoeg"]]

            try await store.updateCompany(company)

            #expect(try await store.company(id: company.id) == company)
        }
    }

    @Test("updating an unknown company is refused", arguments: StoreFactory.all)
    func updateUnknown(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var company = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: "nl", at: Sample.now)
            company.id = "co_missing"

            await #expect(throws: StoreError.companyNotFound("co_missing")) { try await store.updateCompany(company) }
        }
    }
}

@Suite("Store contract: companies changed in place")
struct CompanyChangeContract {
    @Test("changes made at the same time are all kept", arguments: StoreFactory.all)
    func parallelChanges(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: "nl", at: Sample.now)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await store.updateCompany(id: company.id) { company in
                            company.reasons = (company.reasons ?? []) + [Reason(key: "r\(index)", labels: ["en": "Reason \(index)"])]
                        }
                    }
                }
                try await group.waitForAll()
            }

            let keys = try await store.company(id: company.id)?.reasons?.map(\.key) ?? []
            #expect(Set(keys) == Set((0..<20).map { "r\($0)" }))
            #expect(keys.count == 20)
        }
    }

    @Test("a change that throws saves nothing", arguments: StoreFactory.all)
    func throwingChange(factory: StoreFactory) async throws {
        struct Refused: Error {}
        try await factory.withStore { store in
            let company = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: "nl", at: Sample.now)

            await #expect(throws: Refused.self) {
                try await store.updateCompany(id: company.id) { company in
                    company.name = "Changed"
                    throw Refused()
                }
            }

            #expect(try await store.company(id: company.id)?.name == "Acme")
        }
    }

    @Test("a retired reason is kept with its flag; an active one is stored as before", arguments: StoreFactory.all)
    func retiredReason(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: "nl", at: Sample.now)
            let reasons = [Reason(key: "old", labels: ["en": "Old"], retired: true), Reason(key: "new", labels: ["en": "New"])]

            let name = try await store.updateCompany(id: company.id) { company in
                company.reasons = reasons
                return company.name
            }

            #expect(name == "Acme")
            #expect(try await store.company(id: company.id)?.reasons == reasons)
        }
    }

    @Test("changing an unknown company is refused", arguments: StoreFactory.all)
    func unknown(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            await #expect(throws: StoreError.companyNotFound("co_missing")) {
                try await store.updateCompany(id: "co_missing") { $0.name = "Nobody" }
            }
        }
    }
}
