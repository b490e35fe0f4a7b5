import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: API keys")
struct KeyStoreContract {
    @Test("a key is returned once, stored as a hash, and found by its prefix", arguments: StoreFactory.all)
    func createAndFind(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()

            let (key, stored) = try await store.createKey(companyID: company.id, name: "ci", at: Sample.now)

            #expect(APIKey.prefix(of: key) == stored.prefix)
            #expect(stored.hash == APIKey.hash(key))
            #expect(stored.hash != key)
            #expect(try await store.key(prefix: stored.prefix) == stored)
            #expect(try await store.keys(companyID: company.id) == [stored])
        }
    }

    @Test("a key for an unknown company is refused", arguments: StoreFactory.all)
    func unknownCompany(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            await #expect(throws: StoreError.companyNotFound("co_missing")) {
                try await store.createKey(companyID: "co_missing", name: "", at: Sample.now)
            }
        }
    }

    @Test("revoking keeps the first time, and another company cannot revoke", arguments: StoreFactory.all)
    func revoke(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            let (_, stored) = try await store.createKey(companyID: company.id, name: "ci", at: Sample.now)

            let byOther = try await store.revokeKey(prefix: stored.prefix, companyID: "co_other", at: Sample.now)
            let first = try await store.revokeKey(prefix: stored.prefix, companyID: company.id, at: Sample.now.addingTimeInterval(60))
            let again = try await store.revokeKey(prefix: stored.prefix, companyID: nil, at: Sample.now.addingTimeInterval(120))

            #expect(byOther == nil)
            #expect(first?.revokedAt == Sample.now.addingTimeInterval(60))
            #expect(again?.revokedAt == Sample.now.addingTimeInterval(60))
            #expect(try await store.revokeKey(prefix: "sk_00000000", companyID: nil, at: Sample.now) == nil)
        }
    }

    @Test("using a key records when", arguments: StoreFactory.all)
    func touch(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            let (_, stored) = try await store.createKey(companyID: company.id, name: "ci", at: Sample.now)

            try await store.touchKey(prefix: stored.prefix, at: Sample.now.addingTimeInterval(5))

            #expect(try await store.key(prefix: stored.prefix)?.lastUsedAt == Sample.now.addingTimeInterval(5))
        }
    }

    @Test("revocations at once all answer the one time that was kept", arguments: StoreFactory.all)
    func parallelRevocations(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            let (_, stored) = try await store.createKey(companyID: company.id, name: "ci", at: Sample.now)

            let times = try await withThrowingTaskGroup(of: Date?.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        try await store.revokeKey(prefix: stored.prefix, companyID: company.id, at: Sample.now.addingTimeInterval(Double(index + 1)))?.revokedAt
                    }
                }
                return try await group.reduce(into: [Date?]()) { $0.append($1) }
            }

            let kept = try await store.key(prefix: stored.prefix)?.revokedAt
            #expect(kept != nil)
            #expect(times.allSatisfy { $0 == kept })
        }
    }
}
