import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: email recipients and the email queue")
struct EmailStoreContract {
    static let lease: TimeInterval = 60

    func claim(_ store: any Store, at date: Date = Sample.now) async throws -> [QueuedEmail] {
        try await store.claimDueEmails(at: date, lease: Self.lease, limit: 100)
    }

    @Test("a recipient is added, changed, listed without regard to case, and removed", arguments: StoreFactory.all)
    func recipients(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()

            _ = try await store.setEmailRecipient(companyID: company.id, address: "ops@acme.example", forward: true, digest: false, at: Sample.now)
            let changed = try await store.setEmailRecipient(
                companyID: company.id, address: "OPS@acme.example", forward: false, digest: true, at: Sample.now + 60
            )

            #expect(changed.forward == false && changed.digest == true)
            #expect(try await store.emailRecipients(companyID: company.id).map(\.address) == ["ops@acme.example"])
            #expect(try await store.emailRecipients(companyID: "co_other").isEmpty)
            #expect(try await store.removeEmailRecipient(companyID: "co_other", address: "ops@acme.example") == false)
            #expect(try await store.removeEmailRecipient(companyID: company.id, address: "ops@ACME.example"))
            #expect(try await store.emailRecipients(companyID: company.id).isEmpty)
        }
    }

    @Test("a bad address, a recipient who gets nothing, and an unknown company are refused", arguments: StoreFactory.all)
    func refused(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()

            for address in ["ops@acme.example\r\nBcc: x@evil.example", "two@a.example, three@b.example", "<ops@acme.example>", "no-at-sign"] {
                await #expect(throws: StoreError.self) {
                    try await store.setEmailRecipient(companyID: company.id, address: address, forward: true, digest: true, at: Sample.now)
                }
            }
            await #expect(throws: StoreError.self) {
                try await store.setEmailRecipient(companyID: company.id, address: "ops@acme.example", forward: false, digest: false, at: Sample.now)
            }
            await #expect(throws: StoreError.companyNotFound("co_none")) {
                try await store.setEmailRecipient(companyID: "co_none", address: "ops@acme.example", forward: true, digest: false, at: Sample.now)
            }
            #expect(try await store.emailRecipients(companyID: company.id).isEmpty)
        }
    }

    @Test("an opt-out queues one forward email per forward recipient, with its event; opt-ins and imports queue none", arguments: StoreFactory.all)
    func forwards(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Other", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
            _ = try await store.setEmailRecipient(companyID: company.id, address: "a@acme.example", forward: true, digest: false, at: Sample.now)
            _ = try await store.setEmailRecipient(companyID: company.id, address: "b@acme.example", forward: true, digest: true, at: Sample.now)
            _ = try await store.setEmailRecipient(companyID: company.id, address: "digest@acme.example", forward: false, digest: true, at: Sample.now)
            _ = try await store.setEmailRecipient(companyID: other.id, address: "x@other.example", forward: true, digest: true, at: Sample.now)
            let phone = try Sample.phone(1)

            let event = try #require(try await store.recordOptOut(Sample.optOut(company, phone, campaign: campaign)).recorded)
            _ = try await store.recordOptIn(companyID: company.id, phone: phone, source: .api, evidence: "asked", at: Sample.now + 1)
            _ = try await store.importOptOuts(
                companyID: company.id, rows: [ImportRow(phone: try Sample.phone(2), optedOutAt: Sample.now, reason: nil)], scope: .marketing
            )

            let queued = try await store.emails(companyID: company.id, limit: 10)
            #expect(queued.map(\.address).sorted() == ["a@acme.example", "b@acme.example"])
            #expect(queued.allSatisfy { $0.kind == .forward && $0.status == .pending && $0.event == event })
            #expect(try await store.emails(companyID: other.id, limit: 10).isEmpty)
        }
    }

    @Test("a claimed email is not handed out again until its attempt is recorded or its lease runs out", arguments: StoreFactory.all)
    func claimAndLease(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.setEmailRecipient(companyID: company.id, address: "a@acme.example", forward: true, digest: false, at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))

            let first = try await claim(store)
            let whileLeased = try await claim(store, at: Sample.now + Self.lease - 1)
            let afterLease = try await claim(store, at: Sample.now + Self.lease)

            #expect(first.count == 1)
            #expect(whileLeased.isEmpty)
            #expect(afterLease.map(\.id) == first.map(\.id))
        }
    }

    @Test("parallel claimers never get the same email", arguments: StoreFactory.all)
    func parallelClaims(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.setEmailRecipient(companyID: company.id, address: "a@acme.example", forward: true, digest: false, at: Sample.now)
            for index in 0..<40 { _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index))) }

            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask { try await store.claimDueEmails(at: Sample.now, lease: Self.lease, limit: 5).map(\.id) }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }

            #expect(claimed.count == 40)
            #expect(Set(claimed).count == claimed.count)
        }
    }

    @Test("many claimers at once, on several connections, send every email once, retries included", arguments: StoreFactory.all)
    func racingClaimersSendOnce(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            for address in ["a@acme.example", "b@acme.example"] {
                _ = try await store.setEmailRecipient(companyID: company.id, address: address, forward: true, digest: false, at: Sample.now)
            }
            for index in 0..<20 { _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index))) }
            let log = EmailSendLog()

            let stalled = try await Sample.race { _ -> Bool in
                for _ in 0..<20_000 {
                    let claimed = try await store.claimDueEmails(at: Sample.now, lease: Self.lease, limit: 3)
                    if claimed.isEmpty {
                        if try await store.emails(companyID: company.id, limit: 100).allSatisfy({ $0.status != .pending }) { return false }
                        await Task.yield()
                        continue
                    }
                    for email in claimed {
                        let sends = await log.attempt(email.id)
                        try await store.recordEmailAttempt(
                            id: email.id, outcome: sends ? .sent : .failed(error: "451 try again", retryAt: Sample.now), at: Sample.now
                        )
                    }
                }
                return true
            }

            #expect(!stalled.contains(true), "every claimer finished")
            let emails = try await store.emails(companyID: company.id, limit: 100)
            #expect(emails.count == 40)
            for email in emails {
                let expected = email.id.isMultiple(of: 5) ? 2 : 1
                #expect(email.status == .sent && email.attempts == expected)
                #expect(await log.attempts[email.id] == expected, "sent once, after one failure for every fifth")
            }
        }
    }

    @Test("an email lease that runs out (its holder died) is taken over by one claimer of many", arguments: StoreFactory.all)
    func expiredLeaseTakenOver(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.setEmailRecipient(companyID: company.id, address: "a@acme.example", forward: true, digest: false, at: Sample.now)
            for index in 0..<6 { _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index))) }
            let dead = try await claim(store)

            let whileLeased = try await Sample.race { _ in try await claim(store, at: Sample.now + Self.lease - 1) }
            let takeover = try await Sample.race { _ in try await claim(store, at: Sample.now + Self.lease) }.flatMap { $0 }
            let afterTakeover = try await claim(store, at: Sample.now + Self.lease + 1)

            #expect(dead.count == 6)
            #expect(whileLeased.allSatisfy { $0.isEmpty })
            #expect(takeover.map(\.id).sorted() == dead.map(\.id).sorted(), "each email taken over by one claimer")
            #expect(takeover.allSatisfy { $0.claimedUntil == Sample.now + 2 * Self.lease })
            #expect(afterTakeover.isEmpty)
        }
    }

    @Test("a failed attempt waits for its retry time; the last one fails for good and is listed as a failure", arguments: StoreFactory.all)
    func attempts(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.setEmailRecipient(companyID: company.id, address: "a@acme.example", forward: true, digest: false, at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            let email = try #require(try await claim(store).first)

            try await store.recordEmailAttempt(id: email.id, outcome: .failed(error: "RCPT TO answered 451", retryAt: Sample.now + 300), at: Sample.now)
            let early = try await claim(store, at: Sample.now + 299)
            let due = try await claim(store, at: Sample.now + 300)
            try await store.recordEmailAttempt(id: email.id, outcome: .failed(error: "RCPT TO answered 550", retryAt: nil), at: Sample.now + 301)

            #expect(early.isEmpty)
            #expect(due.map(\.attempts) == [1])
            #expect(try await claim(store, at: Sample.now + Sample.day).isEmpty)
            let failures = try await store.emailFailures(companyID: company.id, since: Sample.now, limit: 10)
            #expect(failures.map(\.id) == [email.id])
            #expect(failures.first?.status == .failed && failures.first?.attempts == 2 && failures.first?.lastError == "RCPT TO answered 550")
            #expect(try await store.emailFailures(companyID: company.id, since: Sample.now + 302, limit: 10).isEmpty)
        }
    }

    @Test("a sent email is not claimed again", arguments: StoreFactory.all)
    func sent(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.setEmailRecipient(companyID: company.id, address: "a@acme.example", forward: true, digest: false, at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            let email = try #require(try await claim(store).first)

            try await store.recordEmailAttempt(id: email.id, outcome: .sent, at: Sample.now)

            #expect(try await claim(store, at: Sample.now + Sample.day).isEmpty)
            #expect(try await store.emails(companyID: company.id, limit: 10).map(\.status) == [.sent])
        }
    }

    @Test("a day's digest is queued once per digest recipient, even by parallel callers; one asked for by hand always", arguments: StoreFactory.all)
    func digests(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            _ = try await store.setEmailRecipient(companyID: company.id, address: "d@acme.example", forward: false, digest: true, at: Sample.now)
            _ = try await store.setEmailRecipient(companyID: company.id, address: "f@acme.example", forward: true, digest: false, at: Sample.now)
            #expect(try await store.companiesDueForDigest(day: "2025-06-15") == [company.id])

            let queued = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask {
                        try await store.queueDigests(companyID: company.id, day: "2025-06-15", subject: "Digest", body: "Body", at: Sample.now)
                    }
                }
                return try await group.reduce(0, +)
            }
            let byHand = try await store.queueDigests(companyID: company.id, day: nil, subject: "Now", body: "Body", at: Sample.now)

            #expect(queued == 1)
            #expect(byHand == 1)
            #expect(try await store.companiesDueForDigest(day: "2025-06-15").isEmpty)
            #expect(try await store.companiesDueForDigest(day: "2025-06-16") == [company.id])
            let emails = try await store.emails(companyID: company.id, limit: 10)
            #expect(emails.map(\.subject) == ["Now", "Digest"])
            #expect(emails.allSatisfy { $0.kind == .digest && $0.address == "d@acme.example" && $0.body == "Body" && $0.event == nil })
        }
    }

    @Test("digest figures count the window's opt-outs by campaign and by reason, most first", arguments: StoreFactory.all)
    func figures(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1), campaign: campaign))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2), campaign: campaign, at: Sample.now + 10))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(3), at: Sample.now + 20))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(4), at: Sample.now - 1))

            let figures = try await store.digestFigures(companyID: company.id, since: Sample.now, until: Sample.now + 20)

            #expect(figures.optOuts == 2)
            #expect(figures.byCampaign == [.init(key: "spring-sale", count: 2)])
            #expect(figures.byReason == [.init(key: "too_many", count: 2)])
        }
    }
}

/// How often racing claimers attempted each email.
actor EmailSendLog {
    private(set) var attempts: [Int64: Int] = [:]

    /// Logs an attempt and answers whether it is sent: every fifth email fails its first attempt.
    func attempt(_ id: Int64) -> Bool {
        attempts[id, default: 0] += 1
        return !id.isMultiple(of: 5) || attempts[id, default: 0] > 1
    }
}
