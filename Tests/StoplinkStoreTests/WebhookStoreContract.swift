import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: webhooks and claimed deliveries")
struct WebhookStoreContract {
    static let lease: TimeInterval = 60

    func claim(_ store: any Store, at date: Date = Sample.now) async throws -> [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])] {
        try await store.claimDueDeliveries(at: date, lease: Self.lease, perEndpoint: 100, endpoints: 100)
    }

    /// Acme with `endpoints` endpoints that want every event, and `events` opt-outs queued to each.
    func endpointsWithEvents(_ store: any Store, endpoints: Int, events: Int) async throws -> (Company, [WebhookEndpoint]) {
        let (company, _) = try await store.acmeWithCampaign()
        var created: [WebhookEndpoint] = []
        for index in 0..<endpoints {
            created.append(try await store.createEndpoint(
                companyID: company.id, url: "https://\(index).example", description: "", eventTypes: [], at: Sample.now
            ))
        }
        for index in 0..<events { _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index))) }
        return (company, created)
    }

    @Test("an endpoint gets a we_ id and a whsec_ secret, and is listed, found and deleted", arguments: StoreFactory.all)
    func endpoints(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()

            let endpoint = try await store.createEndpoint(
                companyID: company.id, url: "https://hooks.example/in", description: "crm", eventTypes: [WebhookEventType.optOutCreated], at: Sample.now
            )

            #expect(endpoint.id.hasPrefix("we_"))
            #expect(endpoint.secret.hasPrefix("whsec_"))
            #expect(endpoint.enabled)
            #expect(try await store.endpoints(companyID: company.id) == [endpoint])
            #expect(try await store.endpoint(id: endpoint.id, companyID: company.id) == endpoint)
            #expect(try await store.endpoint(id: endpoint.id, companyID: "co_other") == nil)
            #expect(try await store.deleteEndpoint(id: endpoint.id, companyID: "co_other") == false)
            #expect(try await store.deleteEndpoint(id: endpoint.id, companyID: company.id))
            #expect(try await store.endpoints(companyID: company.id).isEmpty)
        }
    }

    @Test("a rotated secret keeps the previous one signing until the given time", arguments: StoreFactory.all)
    func rotate(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let endpoint = try await store.createEndpoint(companyID: company.id, url: "https://h.example", description: "", eventTypes: [], at: Sample.now)

            let rotated = try #require(try await store.rotateSecret(id: endpoint.id, companyID: company.id, keepPreviousUntil: Sample.now + 3600))

            #expect(rotated.secret != endpoint.secret)
            #expect(rotated.secret.hasPrefix("whsec_"))
            #expect(rotated.signingSecrets(at: Sample.now) == [rotated.secret, endpoint.secret])
            #expect(rotated.signingSecrets(at: Sample.now + 3600) == [rotated.secret])
        }
    }

    @Test("an event is queued for each enabled endpoint that wants its type", arguments: StoreFactory.all)
    func enqueue(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let every = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            let revoked = try await store.createEndpoint(
                companyID: company.id, url: "https://b.example", description: "", eventTypes: [WebhookEventType.optOutRevoked], at: Sample.now
            )
            let disabled = try await store.createEndpoint(companyID: company.id, url: "https://c.example", description: "", eventTypes: [], at: Sample.now)
            _ = try await store.setEndpointEnabled(id: disabled.id, companyID: company.id, enabled: false, reason: "test")

            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))

            #expect(try await store.deliveries(endpointID: every.id, limit: 10).count == 1)
            #expect(try await store.deliveries(endpointID: revoked.id, limit: 10).isEmpty)
            #expect(try await store.deliveries(endpointID: disabled.id, limit: 10).isEmpty)
        }
    }

    @Test("a claimed delivery is not handed out again until its attempt is recorded or its lease runs out", arguments: StoreFactory.all)
    func claimAndLease(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let endpoint = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2)))

            let first = try await claim(store)
            let whileLeased = try await claim(store, at: Sample.now + Self.lease - 1)
            let afterLease = try await claim(store, at: Sample.now + Self.lease)

            #expect(first.count == 1)
            #expect(first.first?.0.id == endpoint.id)
            #expect(first.first?.1.map(\.1.phone) == (try [1, 2].map(Sample.phone)))
            #expect(whileLeased.isEmpty)
            #expect(afterLease.first?.1.count == 2)
        }
    }

    @Test("recording an attempt releases it; released leftovers are claimable at once", arguments: StoreFactory.all)
    func recordAndRelease(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let endpoint = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            for index in 1...3 { _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index))) }
            let claimed = try #require(try await claim(store).first?.1)

            try await store.recordAttempts([(claimed[0].0.id, endpoint.id, .succeeded(statusCode: 200))], at: Sample.now)
            let whileHeld = try await claim(store)
            try await store.releaseClaims(claimed.dropFirst().map(\.0))
            let released = try await claim(store)

            #expect(whileHeld.isEmpty)
            #expect(released.first?.1.map(\.0.id) == claimed.dropFirst().map(\.0.id))
            let log = try await store.deliveries(endpointID: endpoint.id, limit: 10)
            #expect(log.first { $0.id == claimed[0].0.id }?.status == .succeeded)
        }
    }

    @Test("a failed attempt waits for its retry time; 410 disables the endpoint", arguments: StoreFactory.all)
    func failures(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let endpoint = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            let delivery = try #require(try await claim(store).first?.1.first?.0)

            try await store.recordAttempts(
                [(delivery.id, endpoint.id, .failed(statusCode: 500, error: "answered 500", retryAt: Sample.now + 300))], at: Sample.now
            )
            let early = try await claim(store, at: Sample.now + 299)
            let due = try await claim(store, at: Sample.now + 300)
            try await store.recordAttempts([(delivery.id, endpoint.id, .gone)], at: Sample.now + 300)

            #expect(early.isEmpty)
            #expect(due.first?.1.first?.0.attempts == 1)
            #expect(try await store.endpoint(id: endpoint.id, companyID: company.id)?.enabled == false)
            #expect(try await store.deliveries(endpointID: endpoint.id, limit: 1).first?.status == .failed)
            #expect(try await store.retryDelivery(number: delivery.number, endpointID: endpoint.id, at: Sample.now + 400)?.status == .pending)
        }
    }

    @Test("a delivery being sent cannot be retried until its attempt is recorded or its lease ends; then it can, succeeded or not", arguments: StoreFactory.all)
    func retryWhileInFlight(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let endpoint = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            let delivery = try #require(try await claim(store).first?.1.first?.0)

            await #expect(throws: StoreError.deliveryInFlight(delivery.number)) {
                try await store.retryDelivery(number: delivery.number, endpointID: endpoint.id, at: Sample.now + 1)
            }
            let stillClaimed = try await claim(store, at: Sample.now + 2)
            let afterLease = try await store.retryDelivery(number: delivery.number, endpointID: endpoint.id, at: Sample.now + Self.lease + 1)
            let reclaimed = try #require(try await claim(store, at: Sample.now + Self.lease + 1).first?.1.first?.0)
            try await store.recordAttempts([(reclaimed.id, endpoint.id, .succeeded(statusCode: 200))], at: Sample.now + Self.lease + 2)
            let afterSuccess = try await store.retryDelivery(number: delivery.number, endpointID: endpoint.id, at: Sample.now + Self.lease + 3)

            #expect(stillClaimed.isEmpty, "a refused retry leaves the claim in place")
            #expect(afterLease?.status == .pending)
            #expect(afterSuccess?.status == .pending && afterSuccess?.attempts == 0)
        }
    }

    @Test("failing endpoints: retrying or failed since a moment, or disabled; healthy ones and other companies' left out", arguments: StoreFactory.all)
    func failingEndpoints(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Other", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
            let healthy = try await store.createEndpoint(companyID: company.id, url: "https://ok.example", description: "", eventTypes: [], at: Sample.now)
            let flaky = try await store.createEndpoint(companyID: company.id, url: "https://flaky.example", description: "", eventTypes: [], at: Sample.now + 1)
            let gone = try await store.createEndpoint(companyID: company.id, url: "https://gone.example", description: "", eventTypes: [], at: Sample.now + 2)
            _ = try await store.createEndpoint(companyID: other.id, url: "https://other.example", description: "", eventTypes: [], at: Sample.now)
            _ = try await store.setEndpointEnabled(id: gone.id, companyID: company.id, enabled: false, reason: "answered 410")
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2)))
            let claimed = try await claim(store)
            let healthyDeliveries = try #require(claimed.first { $0.0.id == healthy.id }?.1.map(\.0))
            let flakyDeliveries = try #require(claimed.first { $0.0.id == flaky.id }?.1.map(\.0))
            try await store.recordAttempts(healthyDeliveries.map { ($0.id, healthy.id, .succeeded(statusCode: 200)) }, at: Sample.now)
            try await store.recordAttempts([
                (flakyDeliveries[0].id, flaky.id, .failed(statusCode: 500, error: "answered 500", retryAt: nil)),
                (flakyDeliveries[1].id, flaky.id, .failed(statusCode: nil, error: "timed out", retryAt: Sample.now + 300)),
            ], at: Sample.now)

            let failing = try await store.failingEndpoints(companyID: company.id, since: Sample.now - Sample.day)
            let later = try await store.failingEndpoints(companyID: company.id, since: Sample.now + 1)

            #expect(failing.map(\.endpoint.url) == ["https://flaky.example", "https://gone.example"])
            #expect(failing.first?.retrying == 1)
            #expect(failing.first?.failed == 1)
            #expect(failing.first?.lastError == "timed out")
            #expect(failing.last?.endpoint.enabled == false)
            // The failure for good is older than `since`; the retry still counts.
            #expect(later.first?.failed == 0)
            #expect(later.first?.retrying == 1)
            #expect(try await store.failingEndpoints(companyID: other.id, since: Sample.now - Sample.day).isEmpty)
        }
    }

    @Test("each endpoint numbers its deliveries 1, 2, 3, whatever other endpoints receive", arguments: StoreFactory.all)
    func numberedPerEndpoint(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            let ours = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            let theirs = try await store.createEndpoint(companyID: other.id, url: "https://b.example", description: "", eventTypes: [], at: Sample.now)
            for index in 0..<3 { _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(index))) }
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(0)))
            _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(3)))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1)))

            let ourDeliveries = try await store.deliveries(endpointID: ours.id, limit: 10)
            let theirDeliveries = try await store.deliveries(endpointID: theirs.id, limit: 10)

            #expect(ourDeliveries.map(\.number) == [2, 1], "newest first")
            #expect(ourDeliveries.map(\.eventSeq) == [2, 1])
            #expect(theirDeliveries.map(\.number) == [4, 3, 2, 1])
            #expect(try await store.retryDelivery(number: 2, endpointID: ours.id, at: Sample.now)?.eventSeq == 2)
            #expect(try await store.retryDelivery(number: 4, endpointID: ours.id, at: Sample.now) == nil, "another endpoint's number")
        }
    }

    @Test("parallel claimers never get the same delivery", arguments: StoreFactory.all)
    func parallelClaims(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await endpointsWithEvents(store, endpoints: 8, events: 10)

            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask {
                        try await store.claimDueDeliveries(at: Sample.now, lease: Self.lease, perEndpoint: 100, endpoints: 3)
                            .flatMap { $0.1.map(\.0.id) }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }

            #expect(claimed.count == 8 * 10)
            #expect(Set(claimed).count == claimed.count)
        }
    }

    @Test("many claimers at once, on several connections, send every delivery once and each endpoint's in order", arguments: StoreFactory.all)
    func racingClaimersKeepOrder(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let events = 12
            let (_, endpoints) = try await endpointsWithEvents(store, endpoints: 4, events: events)
            let log = SendLog()

            // Each claimer sends part of what it got, stopping at a failure, gives the rest back, and
            // claims again until nothing is pending. Small claims make the lines change hands often.
            let stalled = try await Sample.race { worker -> Bool in
                for round in 0..<20_000 {
                    let claimed = try await store.claimDueDeliveries(at: Sample.now, lease: Self.lease, perEndpoint: 3, endpoints: 2)
                    if claimed.isEmpty {
                        if try await store.deliveryBacklog().count == 0 { return false }
                        await Task.yield()
                        continue
                    }
                    for (endpoint, line) in claimed {
                        var attempts: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)] = []
                        for (delivery, _) in line.prefix(1 + (worker + round) % max(line.count, 1)) {
                            let succeeds = await log.attempt(endpoint.id, delivery.number)
                            attempts.append((delivery.id, endpoint.id, succeeds
                                ? .succeeded(statusCode: 200) : .failed(statusCode: 503, error: "answered 503", retryAt: Sample.now)))
                            if !succeeds { break }
                        }
                        try await store.releaseClaims(line.dropFirst(attempts.count).map(\.0))
                        try await store.recordAttempts(attempts, at: Sample.now)
                    }
                }
                return true
            }

            #expect(!stalled.contains(true), "every claimer finished")
            #expect(await log.violations == [])
            let everyNumber = (1...Int64(events)).flatMap { $0.isMultiple(of: 4) ? [$0, $0] : [$0] }
            for endpoint in endpoints {
                #expect(await log.attempts[endpoint.id] == everyNumber, "each delivery sent in order, once more after its failure")
                let deliveries = try await store.deliveries(endpointID: endpoint.id, limit: 100)
                #expect(deliveries.allSatisfy { $0.status == .succeeded && $0.attempts == ($0.number.isMultiple(of: 4) ? 2 : 1) })
            }
        }
    }

    @Test("a lease that runs out (its holder died) is taken over by one claimer of many; the old holder's late release leaves it alone", arguments: StoreFactory.all)
    func expiredLeaseTakenOver(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await endpointsWithEvents(store, endpoints: 3, events: 4)
            let dead = try await claim(store)

            let whileLeased = try await Sample.race { _ in try await claim(store, at: Sample.now + Self.lease - 1) }
            let takeover = try await Sample.race { _ in try await claim(store, at: Sample.now + Self.lease) }.flatMap { $0 }
            try await store.releaseClaims(dead.flatMap { $0.1.map(\.0) })
            let afterLateRelease = try await claim(store, at: Sample.now + Self.lease + 1)

            #expect(dead.flatMap(\.1).count == 3 * 4)
            #expect(whileLeased.allSatisfy { $0.isEmpty })
            #expect(takeover.map(\.0.id).sorted() == dead.map(\.0.id).sorted(), "each endpoint taken over by one claimer")
            #expect(takeover.flatMap { $0.1.map(\.0.id) }.sorted() == dead.flatMap { $0.1.map(\.0.id) }.sorted())
            #expect(afterLateRelease.isEmpty, "the new holder's lease still holds")
        }
    }

    @Test("retries racing claimers: a retry refused while a claimer holds the delivery, never undoing its claim", arguments: StoreFactory.all)
    func retryRacingClaimers(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let endpoint = try #require(try await endpointsWithEvents(store, endpoints: 1, events: 1).1.first)
            let sent = try #require(try await claim(store).first?.1.first?.0)
            try await store.recordAttempts([(sent.id, endpoint.id, .succeeded(statusCode: 200))], at: Sample.now)
            let later = Sample.now + 1

            // Even tasks retry the sent delivery, odd ones claim: a claim can only follow a retry.
            let outcomes = try await Sample.race { index -> (retried: Bool, claimed: [WebhookDelivery]) in
                if index.isMultiple(of: 2) {
                    do {
                        _ = try await store.retryDelivery(number: sent.number, endpointID: endpoint.id, at: later)
                        return (retried: true, claimed: [WebhookDelivery]())
                    } catch StoreError.deliveryInFlight {
                        return (retried: false, claimed: [])
                    }
                }
                return (retried: false, claimed: try await claim(store, at: later).flatMap { $0.1.map(\.0) })
            }
            let final = try #require(try await store.deliveries(endpointID: endpoint.id, limit: 1).first)

            let claims = outcomes.flatMap(\.claimed)
            #expect(outcomes.contains { $0.retried })
            #expect(claims.count <= 1, "one claimer at most: no retry cleared a claim for another to take")
            #expect(final.status == .pending && final.attempts == 0)
            #expect(final.claimedUntil == claims.first?.claimedUntil, "a claim that was made still holds")
        }
    }

    @Test("the backlog counts pending deliveries of enabled endpoints and dates the oldest", arguments: StoreFactory.all)
    func backlog(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let empty = try await store.deliveryBacklog()
            let endpoint = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            let disabled = try await store.createEndpoint(companyID: company.id, url: "https://b.example", description: "", eventTypes: [], at: Sample.now)
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1), at: Sample.now))
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(2), at: Sample.now + 60))
            _ = try await store.setEndpointEnabled(id: disabled.id, companyID: company.id, enabled: false, reason: "test")
            let pending = try await store.deliveryBacklog()
            let first = try #require(try await claim(store).first?.1.first?.0)
            try await store.recordAttempts([(first.id, endpoint.id, .succeeded(statusCode: 200))], at: Sample.now + 120)
            let afterOne = try await store.deliveryBacklog()

            #expect(empty == DeliveryBacklog(count: 0, oldest: nil))
            #expect(pending == DeliveryBacklog(count: 2, oldest: Sample.now))
            #expect(afterOne == DeliveryBacklog(count: 1, oldest: Sample.now + 60))
        }
    }

    @Test("test events are logged newest first, only the latest are kept, and they go with their endpoint", arguments: StoreFactory.all)
    func testDeliveries(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let endpoint = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
            let other = try await store.createEndpoint(companyID: company.id, url: "https://b.example", description: "", eventTypes: [], at: Sample.now)
            let sent = (0..<(WebhookTestDelivery.kept + 3)).map { index in
                WebhookTestDelivery(
                    endpointID: endpoint.id, messageID: "msg_test_\(index)", succeeded: index.isMultiple(of: 2),
                    statusCode: index.isMultiple(of: 2) ? 200 : nil, error: index.isMultiple(of: 2) ? nil : "could not reach the endpoint",
                    sentAt: Sample.now + Double(index)
                )
            }
            for test in sent { try await store.recordTestDelivery(test) }
            let othersTest = WebhookTestDelivery(endpointID: other.id, messageID: "msg_test_other", succeeded: true, statusCode: 204, error: nil, sentAt: Sample.now)
            try await store.recordTestDelivery(othersTest)

            let logged = try await store.testDeliveries(endpointID: endpoint.id, limit: 100)

            #expect(logged == Array(sent.reversed().prefix(WebhookTestDelivery.kept)))
            #expect(try await store.testDeliveries(endpointID: endpoint.id, limit: 2) == Array(sent.reversed().prefix(2)))
            #expect(try await store.testDeliveries(endpointID: other.id, limit: 100) == [othersTest])
            #expect(try await store.deliveries(endpointID: endpoint.id, limit: 100).isEmpty)

            #expect(try await store.deleteEndpoint(id: endpoint.id, companyID: company.id))

            #expect(try await store.testDeliveries(endpointID: endpoint.id, limit: 100).isEmpty)
            #expect(try await store.testDeliveries(endpointID: other.id, limit: 100) == [othersTest])
        }
    }
}

/// What racing claimers sent, in the order they sent it, and each time one sent a delivery
/// before its endpoint's previous one had succeeded (two holders of one line, or a line out of order).
actor SendLog {
    private(set) var attempts: [String: [Int64]] = [:]
    private(set) var violations: [String] = []
    private var succeeded: [String: Int64] = [:]

    /// Logs an attempt and answers whether it succeeds: every fourth delivery fails its first attempt.
    func attempt(_ endpointID: String, _ number: Int64) -> Bool {
        let previous = succeeded[endpointID] ?? 0
        if number != previous + 1 { violations.append("\(endpointID): delivery \(number) sent when \(previous) had succeeded") }
        let succeeds = !number.isMultiple(of: 4) || attempts[endpointID, default: []].contains(number)
        attempts[endpointID, default: []].append(number)
        if succeeds { succeeded[endpointID] = max(previous, number) }
        return succeeds
    }
}
