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
