import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: dashboard sessions, failed logins and the audit log")
struct SessionStoreContract {
    static let idle: TimeInterval = 2 * 60 * 60
    static let absolute: TimeInterval = 12 * 60 * 60

    private func ann(_ store: any Store) async throws -> User {
        let company = try await store.acme()
        return try await store.createUser(companyID: company.id, email: "ann@acme.example", role: .owner, passwordHash: "h", at: Sample.now)
    }

    @Test("a session finds its user and each use moves its idle expiry", arguments: StoreFactory.all)
    func use(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let user = try await ann(store)
            _ = try await store.createSession(idHash: "hash-a", userID: user.id, at: Sample.now)

            // Each use comes just inside the idle limit; together they outlast it.
            let first = try await store.useSession(idHash: "hash-a", at: Sample.now.addingTimeInterval(Self.idle - 1), idleLimit: Self.idle, absoluteLimit: Self.absolute)
            let second = try await store.useSession(idHash: "hash-a", at: Sample.now.addingTimeInterval(2 * Self.idle - 2), idleLimit: Self.idle, absoluteLimit: Self.absolute)

            #expect(first?.user == user)
            #expect(second?.session.lastSeenAt == Sample.now.addingTimeInterval(2 * Self.idle - 2))
            #expect(try await store.useSession(idHash: "hash-b", at: Sample.now, idleLimit: Self.idle, absoluteLimit: Self.absolute) == nil)
        }
    }

    @Test("an idle session ends and stays ended", arguments: StoreFactory.all)
    func idleExpiry(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let user = try await ann(store)
            _ = try await store.createSession(idHash: "hash-a", userID: user.id, at: Sample.now)

            let late = try await store.useSession(idHash: "hash-a", at: Sample.now.addingTimeInterval(Self.idle + 1), idleLimit: Self.idle, absoluteLimit: Self.absolute)
            let back = try await store.useSession(idHash: "hash-a", at: Sample.now, idleLimit: Self.idle, absoluteLimit: Self.absolute)

            #expect(late == nil)
            #expect(back == nil, "an expired session is deleted, not only refused")
        }
    }

    @Test("a busy session still ends at its absolute limit", arguments: StoreFactory.all)
    func absoluteExpiry(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let user = try await ann(store)
            _ = try await store.createSession(idHash: "hash-a", userID: user.id, at: Sample.now)
            var time = Sample.now
            while time.timeIntervalSince(Sample.now) < Self.absolute - Self.idle {
                time = time.addingTimeInterval(Self.idle / 2)
                let used = try await store.useSession(idHash: "hash-a", at: time, idleLimit: Self.idle, absoluteLimit: Self.absolute)
                #expect(used != nil)
            }

            let after = try await store.useSession(
                idHash: "hash-a", at: Sample.now.addingTimeInterval(Self.absolute + 1), idleLimit: Self.idle, absoluteLimit: Self.absolute
            )

            #expect(after == nil)
        }
    }

    @Test("logout, a new password and removing the user end sessions", arguments: StoreFactory.all)
    func endings(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let user = try await ann(store)
            for hash in ["out", "reset"] { _ = try await store.createSession(idHash: hash, userID: user.id, at: Sample.now) }

            try await store.deleteSession(idHash: "out")
            try await store.deleteSession(idHash: "out")
            _ = try await store.setPasswordHash(companyID: user.companyID, email: user.email, passwordHash: "new", at: Sample.now.addingTimeInterval(1))
            let fresh = try await store.createSession(idHash: "fresh", userID: user.id, at: Sample.now.addingTimeInterval(2))
            _ = try await store.removeUser(companyID: user.companyID, email: user.email)

            let at = Sample.now.addingTimeInterval(3)
            #expect(try await store.useSession(idHash: "out", at: at, idleLimit: Self.idle, absoluteLimit: Self.absolute) == nil)
            #expect(try await store.useSession(idHash: "reset", at: at, idleLimit: Self.idle, absoluteLimit: Self.absolute) == nil)
            #expect(fresh != nil)
            #expect(try await store.useSession(idHash: "fresh", at: at, idleLimit: Self.idle, absoluteLimit: Self.absolute) == nil)
            #expect(try await store.createSession(idHash: "gone", userID: user.id, at: at) == nil)
        }
    }

    @Test("failed logins count per email (any case) and per address within the window", arguments: StoreFactory.all)
    func failures(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await store.recordLoginFailure(email: "Ann@acme.example", address: "192.0.2.1", at: Sample.now)
            try await store.recordLoginFailure(email: "ann@acme.example", address: "192.0.2.2", at: Sample.now.addingTimeInterval(60))
            try await store.recordLoginFailure(email: "bob@acme.example", address: "192.0.2.1", at: Sample.now.addingTimeInterval(120))

            let all = try await store.loginFailures(email: "ANN@acme.example", address: "192.0.2.1", since: Sample.now.addingTimeInterval(-1))
            let recent = try await store.loginFailures(email: "ann@acme.example", address: "192.0.2.1", since: Sample.now.addingTimeInterval(30))

            #expect(all.email == 2 && all.address == 2)
            #expect(recent.email == 1 && recent.address == 1)
        }
    }

    @Test("the audit log keeps each company's entries, newest first", arguments: StoreFactory.all)
    func audit(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let user = try await ann(store)
            let other = try await store.createCompany(name: "Other", defaultCountry: "de", defaultLanguage: "de", at: Sample.now)
            let login = AuditEntry(companyID: user.companyID, userID: user.id, userEmail: user.email, action: "login", at: Sample.now)
            let logout = AuditEntry(companyID: user.companyID, userID: user.id, userEmail: user.email, action: "logout", at: Sample.now.addingTimeInterval(5))
            try await store.recordAudit(login)
            try await store.recordAudit(logout)
            try await store.recordAudit(AuditEntry(companyID: other.id, userID: nil, userEmail: "x@other.example", action: "login", at: Sample.now))

            #expect(try await store.auditLog(companyID: user.companyID, limit: 10) == [logout, login])
            #expect(try await store.auditLog(companyID: user.companyID, limit: 1) == [logout])
        }
    }

    @Test("failed logins recorded in parallel are all counted", arguments: StoreFactory.all)
    func parallelFailures(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        let email = index.isMultiple(of: 2) ? "ann@acme.example" : "ANN@acme.example"
                        let address = index.isMultiple(of: 4) ? "192.0.2.1" : "192.0.2.\(100 + index)"
                        try await store.recordLoginFailure(email: email, address: address, at: Sample.now.addingTimeInterval(Double(index)))
                    }
                }
                try await group.waitForAll()
            }

            let counts = try await store.loginFailures(email: "Ann@Acme.Example", address: "192.0.2.1", since: Sample.now.addingTimeInterval(-1))

            #expect(counts.email == Sample.writers)
            #expect(counts.address == Sample.writers / 4)
        }
    }
}
