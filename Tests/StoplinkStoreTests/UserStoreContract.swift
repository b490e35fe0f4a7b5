import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: dashboard users")
struct UserStoreContract {
    @Test("a user is found by id and by email in any case", arguments: StoreFactory.all)
    func createAndFind(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()

            let user = try await store.createUser(
                companyID: company.id, email: "ann@acme.example", role: .owner, passwordHash: "hash-1", at: Sample.now
            )

            #expect(user.id.hasPrefix(Identifiers.userPrefix))
            #expect(try await store.user(id: user.id) == user)
            #expect(try await store.user(email: "ANN@Acme.Example") == user)
            #expect(try await store.user(email: "bob@acme.example") == nil)
            #expect(try await store.users(companyID: company.id) == [user])
        }
    }

    @Test("an email is unique across companies, whatever its case", arguments: StoreFactory.all)
    func uniqueEmail(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let acme = try await store.acme()
            let other = try await store.createCompany(name: "Other", defaultCountry: "de", defaultLanguage: "de", at: Sample.now)
            _ = try await store.createUser(companyID: acme.id, email: "ann@acme.example", role: .owner, passwordHash: "h", at: Sample.now)

            await #expect(throws: StoreError.userExists("ann@acme.example")) {
                try await store.createUser(companyID: other.id, email: "Ann@ACME.example", role: .marketer, passwordHash: "h", at: Sample.now)
            }
            #expect(try await store.users(companyID: other.id).isEmpty)
        }
    }

    @Test("of many parallel adds of one email exactly one succeeds", arguments: StoreFactory.all)
    func parallelAdds(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()

            let created = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        do {
                            let email = index.isMultiple(of: 2) ? "ann@acme.example" : "ANN@acme.example"
                            _ = try await store.createUser(companyID: company.id, email: email, role: .owner, passwordHash: "h", at: Sample.now)
                            return true
                        } catch StoreError.userExists {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }

            #expect(created == 1)
            #expect(try await store.users(companyID: company.id).count == 1)
        }
    }

    @Test("a user for an unknown company is refused", arguments: StoreFactory.all)
    func unknownCompany(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            await #expect(throws: StoreError.companyNotFound("co_missing")) {
                try await store.createUser(companyID: "co_missing", email: "a@b.example", role: .owner, passwordHash: "h", at: Sample.now)
            }
        }
    }

    @Test("a company's users come oldest first and only theirs", arguments: StoreFactory.all)
    func listing(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let acme = try await store.acme()
            let other = try await store.createCompany(name: "Other", defaultCountry: "de", defaultLanguage: "de", at: Sample.now)
            let second = try await store.createUser(
                companyID: acme.id, email: "bob@acme.example", role: .marketer, passwordHash: "h", at: Sample.now.addingTimeInterval(60)
            )
            let first = try await store.createUser(companyID: acme.id, email: "ann@acme.example", role: .owner, passwordHash: "h", at: Sample.now)
            _ = try await store.createUser(companyID: other.id, email: "eve@other.example", role: .owner, passwordHash: "h", at: Sample.now)

            let users = try await store.users(companyID: acme.id)

            #expect(users == [first, second])
        }
    }

    @Test("removing and resetting touch only the named company's user", arguments: StoreFactory.all)
    func removeAndReset(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let acme = try await store.acme()
            let other = try await store.createCompany(name: "Other", defaultCountry: "de", defaultLanguage: "de", at: Sample.now)
            let ann = try await store.createUser(companyID: acme.id, email: "ann@acme.example", role: .owner, passwordHash: "old", at: Sample.now)
            let later = Sample.now.addingTimeInterval(90)

            let resetByOther = try await store.setPasswordHash(companyID: other.id, email: ann.email, passwordHash: "evil", at: later)
            let removedByOther = try await store.removeUser(companyID: other.id, email: ann.email)
            let reset = try await store.setPasswordHash(companyID: acme.id, email: "ANN@acme.example", passwordHash: "new", at: later)

            #expect(resetByOther == nil)
            #expect(removedByOther == nil)
            #expect(reset?.passwordHash == "new")
            #expect(reset?.passwordChangedAt == later)
            #expect(try await store.user(id: ann.id)?.passwordHash == "new")

            let removed = try await store.removeUser(companyID: acme.id, email: "Ann@Acme.Example")

            #expect(removed?.id == ann.id)
            #expect(try await store.user(email: ann.email) == nil)
            #expect(try await store.removeUser(companyID: acme.id, email: ann.email) == nil)
        }
    }

    @Test("a role changes for the named company's user only; the last owner cannot be demoted or removed", arguments: StoreFactory.all)
    func rolesAndLastOwner(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let acme = try await store.acme()
            let other = try await store.createCompany(name: "Other", defaultCountry: "de", defaultLanguage: "de", at: Sample.now)
            let ann = try await store.createUser(companyID: acme.id, email: "ann@acme.example", role: .owner, passwordHash: "h", at: Sample.now)
            let bob = try await store.createUser(companyID: acme.id, email: "bob@acme.example", role: .marketer, passwordHash: "h", at: Sample.now)

            #expect(try await store.setRole(companyID: other.id, email: bob.email, role: .owner) == nil)
            await #expect(throws: StoreError.lastOwner(ann.email)) {
                try await store.setRole(companyID: acme.id, email: "ANN@acme.example", role: .marketer)
            }
            await #expect(throws: StoreError.lastOwner(ann.email)) {
                try await store.removeUser(companyID: acme.id, email: ann.email, keepingAnOwner: true)
            }
            #expect(try await store.user(id: ann.id)?.role == .owner)
            #expect(try await store.removeUser(companyID: acme.id, email: bob.email, keepingAnOwner: true)?.id == bob.id)

            let promoted = try await store.createUser(companyID: acme.id, email: "cy@acme.example", role: .marketer, passwordHash: "h", at: Sample.now)
            #expect(try await store.setRole(companyID: acme.id, email: promoted.email, role: .owner)?.role == .owner)
            #expect(try await store.setRole(companyID: acme.id, email: ann.email, role: .marketer)?.role == .marketer)
            #expect(try await store.user(id: ann.id)?.role == .marketer)
            // Without the rule (the command line's `user remove`), the last owner can go.
            #expect(try await store.removeUser(companyID: acme.id, email: promoted.email)?.id == promoted.id)
        }
    }

    @Test("two owners who demote or remove each other at once leave one owner", arguments: StoreFactory.all)
    func parallelDemotions(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let company = try await store.acme()
            var owners: [String] = []
            for index in 0..<Sample.writers {
                owners.append(try await store.createUser(
                    companyID: company.id, email: "owner\(index)@acme.example", role: .owner, passwordHash: "h", at: Sample.now
                ).email)
            }

            let changed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (index, email) in owners.enumerated() {
                    group.addTask {
                        do {
                            if index.isMultiple(of: 2) {
                                return try await store.setRole(companyID: company.id, email: email, role: .marketer) != nil
                            }
                            return try await store.removeUser(companyID: company.id, email: email, keepingAnOwner: true) != nil
                        } catch StoreError.lastOwner {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }

            let remaining = try await store.users(companyID: company.id).filter { $0.role == .owner }
            #expect(changed == Sample.writers - 1)
            #expect(remaining.count == 1)
        }
    }

    @Test("in many companies at once, two owners who demote or remove each other leave one owner each",
          arguments: StoreFactory.all)
    func crosswiseDemotions(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let pairs = try await companiesWithTwoUsers(store, second: .owner)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, pair) in pairs.enumerated() {
                    for (user, removes) in [(pair.first, index.isMultiple(of: 2)), (pair.second, false)] {
                        group.addTask {
                            do {
                                if removes {
                                    _ = try await store.removeUser(companyID: pair.company.id, email: user.email, keepingAnOwner: true)
                                } else {
                                    _ = try await store.setRole(companyID: pair.company.id, email: user.email, role: .marketer)
                                }
                            } catch StoreError.lastOwner {}
                        }
                    }
                }
                try await group.waitForAll()
            }

            for pair in pairs {
                let owners = try await store.users(companyID: pair.company.id).filter { $0.role == .owner }
                #expect(owners.count == 1, "company \(pair.company.name)")
            }
        }
    }

    @Test("a promotion racing a demotion and a removal never leaves a company without an owner", arguments: StoreFactory.all)
    func promotionWhileDemoting(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let companies = try await companiesWithTwoUsers(store, second: .marketer)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for entry in companies {
                    group.addTask { _ = try await store.setRole(companyID: entry.company.id, email: entry.second.email, role: .owner) }
                    group.addTask {
                        do { _ = try await store.setRole(companyID: entry.company.id, email: entry.first.email, role: .marketer) } catch StoreError.lastOwner {}
                    }
                    group.addTask {
                        do {
                            _ = try await store.removeUser(companyID: entry.company.id, email: entry.second.email, keepingAnOwner: true)
                        } catch StoreError.lastOwner {}
                    }
                }
                try await group.waitForAll()
            }

            for entry in companies {
                let owners = try await store.users(companyID: entry.company.id).filter { $0.role == .owner }
                #expect(owners.count >= 1, "company \(entry.company.name)")
            }
        }
    }

    @Test("one email added at once to two companies in different case: one wins, the other is told it exists",
          arguments: StoreFactory.all)
    func parallelAddsAcrossCompanies(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let acme = try await store.acme()
            let other = try await store.createCompany(name: "Other", defaultCountry: "de", defaultLanguage: "de", at: Sample.now)

            let outcomes = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        let (company, email) = index.isMultiple(of: 2) ? (acme.id, "Eve@Example.org") : (other.id, "eve@EXAMPLE.org")
                        do {
                            _ = try await store.createUser(companyID: company, email: email, role: .owner, passwordHash: "h", at: Sample.now)
                            return company
                        } catch StoreError.userExists(let existing) {
                            #expect(existing == "eve@example.org")
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { winners, winner in winner.map { winners.append($0) } }
            }

            let stored = try await store.users(companyID: acme.id) + store.users(companyID: other.id)
            #expect(outcomes.count == 1)
            #expect(stored.map(\.companyID) == outcomes)
            #expect(stored.map(\.email) == ["eve@example.org"])
        }
    }

    /// Several companies (so that races really overlap), each with an owner and a second user.
    private func companiesWithTwoUsers(_ store: any Store, second role: UserRole) async throws -> [(company: Company, first: User, second: User)] {
        var companies: [(company: Company, first: User, second: User)] = []
        for index in 0..<Sample.writers / 2 {
            let company = try await store.createCompany(name: "Co \(index)", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
            let first = try await store.createUser(companyID: company.id, email: "ann\(index)@co.example", role: .owner, passwordHash: "h", at: Sample.now)
            let second = try await store.createUser(companyID: company.id, email: "bob\(index)@co.example", role: role, passwordHash: "h", at: Sample.now)
            companies.append((company, first, second))
        }
        return companies
    }
}
