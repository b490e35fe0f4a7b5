import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: numbers, inbound replies and the review queue")
struct InboundStoreContract {
    static let to = "+3197010000000"

    func message(_ company: Company, id: String, from: PhoneNumber, text: String = "STOP", at date: Date = Sample.now) -> InboundMessage {
        InboundMessage(companyID: company.id, gateway: .twilio, messageID: id, from: from, to: Self.to, text: text, receivedAt: date)
    }

    @Test("a number belongs to one company and routes to it", arguments: StoreFactory.all)
    func numbers(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)

            let added = try await store.addNumber(companyID: company.id, number: Self.to, at: Sample.now)
            let again = try await store.addNumber(companyID: company.id, number: Self.to, at: Sample.now)
            let taken = try await store.addNumber(companyID: other.id, number: Self.to, at: Sample.now)

            #expect(added && again && !taken)
            #expect(try await store.numbers(companyID: company.id) == [Self.to])
            #expect(try await store.company(forNumber: Self.to)?.id == company.id)
            #expect(try await store.deleteNumber(companyID: other.id, number: Self.to) == false)
            #expect(try await store.deleteNumber(companyID: company.id, number: Self.to))
            #expect(try await store.company(forNumber: Self.to) == nil)
        }
    }

    @Test("an inbound secret is whsec_ and replaced on rotation", arguments: StoreFactory.all)
    func inboundSecret(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()

            let first = try await store.rotateInboundSecret(companyID: company.id)
            let second = try await store.rotateInboundSecret(companyID: company.id)

            #expect(first.hasPrefix("whsec_"))
            #expect(first != second)
            #expect(try await store.inboundSecret(companyID: company.id) == second)
        }
    }

    @Test("a STOP opts out once; its replay returns the first record and writes nothing", arguments: StoreFactory.all)
    func stopAndReplay(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            let decision = InboundDecision(action: .optOut, scope: .all, reply: "You are opted out.")

            let first = try await store.processInbound(message(company, id: "SM1", from: number), decision: decision)
            let replay = try await store.processInbound(message(company, id: "SM1", from: number), decision: InboundDecision(action: .help, reply: "Help"))

            #expect(first.action == .optOut && !first.replayed)
            #expect(replay.id == first.id && replay.action == .optOut && replay.reply == "You are opted out." && replay.replayed)
            let suppression = try await store.suppression(companyID: company.id, phone: number)
            #expect(suppression?.source == .keyword)
            #expect(suppression?.scope == .all)
            #expect(try await store.history(companyID: company.id, phone: number).count == 1)
        }
    }

    @Test("a message id reused for another message writes nothing and says so; a true replay does not", arguments: StoreFactory.all)
    func reusedID(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            let first = try await store.processInbound(message(company, id: "SM1", from: number), decision: .init(action: .optOut, reply: "out"))

            let otherText = try await store.processInbound(
                message(company, id: "SM1", from: number, text: "START"), decision: .init(action: .optIn, reply: "in")
            )
            let otherSender = try await store.processInbound(
                message(company, id: "SM1", from: try Sample.phone(2)), decision: .init(action: .optOut, reply: "out")
            )
            let replay = try await store.processInbound(message(company, id: "SM1", from: number), decision: .init(action: .optOut, reply: "out"))

            #expect(otherText.idReused && otherText.replayed && otherText.id == first.id)
            #expect(otherSender.idReused)
            #expect(!replay.idReused && replay.replayed)
            #expect(try await store.history(companyID: company.id, phone: number).map(\.action) == [.optOut])
            #expect(try await store.history(companyID: company.id, phone: try Sample.phone(2)).isEmpty)
        }
    }

    @Test("a STOP older than the latest START changes nothing, nor a START older than the latest STOP", arguments: StoreFactory.all)
    func lateKeywords(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            _ = try await store.processInbound(message(company, id: "SM1", from: number, at: Sample.now), decision: .init(action: .optOut, reply: "out"))
            _ = try await store.processInbound(message(company, id: "SM2", from: number, text: "START", at: Sample.now + 60), decision: .init(action: .optIn, reply: "in"))

            let lateStop = try await store.processInbound(message(company, id: "SM3", from: number, at: Sample.now + 30), decision: .init(action: .optOut, reply: "out"))
            _ = try await store.processInbound(message(company, id: "SM4", from: number, at: Sample.now + 120), decision: .init(action: .optOut, reply: "out"))
            let lateStart = try await store.processInbound(message(company, id: "SM5", from: number, text: "START", at: Sample.now + 90), decision: .init(action: .optIn, reply: "in"))

            #expect(lateStop.action == .ignored)
            #expect(lateStop.reply == nil)
            #expect(lateStart.action == .ignored)
            #expect(try await store.history(companyID: company.id, phone: number).map(\.action) == [.optOut, .optIn, .optOut])
            #expect(try await store.suppression(companyID: company.id, phone: number) != nil)
        }
    }

    @Test("the queue's head: by deadline, then id, at most the limit, counted in all and overdue; other companies apart", arguments: StoreFactory.all)
    func reviewQueuePage(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            let deadlines: [TimeInterval] = [3, 1, 2, 1, 5]
            for (index, days) in deadlines.enumerated() {
                _ = try await store.processInbound(
                    message(company, id: "SM\(index)", from: try Sample.phone(index), text: "stop maybe \(index)", at: Sample.now + Double(index)),
                    decision: InboundDecision(action: .review, reply: nil, reviewDeadline: Sample.now + days * Sample.day)
                )
            }
            _ = try await store.processInbound(
                message(other, id: "SM-other", from: try Sample.phone(9), text: "stop maybe"),
                decision: InboundDecision(action: .review, reply: nil, reviewDeadline: Sample.now)
            )

            let head = try await store.reviewQueuePage(companyID: company.id, limit: 3, now: Sample.now + 2 * Sample.day)
            let none = try await store.reviewQueuePage(companyID: company.id, limit: 0, now: Sample.now)

            #expect(head.items.map(\.text) == ["stop maybe 1", "stop maybe 3", "stop maybe 2"])
            #expect(head.total == 5)
            #expect(head.overdue == 3, "due at or before now")
            #expect(none == ReviewQueuePage(items: [], total: 5, overdue: 0))
        }
    }

    @Test("an unclear reply waits in the queue; applying it opts out, dismissing does not", arguments: StoreFactory.all)
    func review(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let (a, b) = (try Sample.phone(1), try Sample.phone(2))
            let queue = InboundDecision(action: .review, reply: nil, reviewDeadline: Sample.now + Sample.day)
            _ = try await store.processInbound(message(company, id: "SM1", from: a, text: "stop it please"), decision: queue)
            _ = try await store.processInbound(message(company, id: "SM2", from: b, text: "stop maybe", at: Sample.now + 1), decision: queue)
            let queued = try await store.reviewQueue(companyID: company.id)

            let applied = try await store.resolveReview(id: queued[0].id, companyID: company.id, apply: true, at: Sample.now + 60)
            let dismissed = try await store.resolveReview(id: queued[1].id, companyID: company.id, apply: false, at: Sample.now + 60)
            let twice = try await store.resolveReview(id: queued[0].id, companyID: company.id, apply: true, at: Sample.now + 60)

            #expect(queued.map(\.from) == [a, b])
            #expect(queued[0].deadline == Sample.now + Sample.day)
            #expect(applied?.from == a)
            #expect(dismissed?.from == b)
            #expect(twice == nil)
            #expect(try await store.reviewQueue(companyID: company.id).isEmpty)
            #expect(try await store.suppression(companyID: company.id, phone: a)?.source == .keyword)
            #expect(try await store.suppression(companyID: company.id, phone: b) == nil)
        }
    }

    @Test("applying a queued reply after a later opt-in changes nothing", arguments: StoreFactory.all)
    func laterOptInWins(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            _ = try await store.recordOptOut(Sample.optOut(company, number, at: Sample.now - 60))
            _ = try await store.processInbound(
                message(company, id: "SM1", from: number, text: "stop it"), decision: .init(action: .review, reply: nil, reviewDeadline: Sample.now + Sample.day)
            )
            _ = try await store.recordOptIn(companyID: company.id, phone: number, source: .api, evidence: "form", at: Sample.now + 60)
            let queued = try #require(try await store.reviewQueue(companyID: company.id).first)

            let applied = try await store.resolveReview(id: queued.id, companyID: company.id, apply: true, at: Sample.now + 120)

            #expect(applied != nil)
            #expect(try await store.suppression(companyID: company.id, phone: number) == nil)
            #expect(try await store.history(companyID: company.id, phone: number).map(\.action) == [.optOut, .optIn])
        }
    }

    @Test("one message id processed in parallel is recorded once", arguments: StoreFactory.all)
    func parallelReplays(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            let inbound = message(company, id: "SM1", from: number)

            let records = try await withThrowingTaskGroup(of: InboundRecord.self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask { try await store.processInbound(inbound, decision: .init(action: .optOut, reply: "out")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            #expect(records.filter { !$0.replayed }.count == 1)
            #expect(Set(records.map(\.id)).count == 1)
            #expect(try await store.history(companyID: company.id, phone: number).count == 1)
        }
    }

    @Test("a reviewed reply applied by a user keeps its text and the user on the ledger row; parallel resolves apply it once", arguments: StoreFactory.all)
    func reviewedByUser(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            let ann = ConsentActor(userID: "user-1", email: "ann@acme.example")
            _ = try await store.processInbound(
                message(company, id: "SM1", from: number, text: "stop it please"), decision: .init(action: .review, reply: nil, reviewDeadline: Sample.now + Sample.day)
            )
            let queued = try #require(try await store.reviewQueue(companyID: company.id).first)

            let resolved = try await withThrowingTaskGroup(of: ReviewItem?.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        try await store.resolveReview(id: queued.id, companyID: company.id, apply: index % 2 == 0, actor: ann, at: Sample.now + 60)
                    }
                }
                return try await group.reduce(into: [ReviewItem]()) { if let item = $1 { $0.append(item) } }
            }

            #expect(resolved.count == 1)
            let history = try await store.history(companyID: company.id, phone: number)
            #expect(history.count <= 1)
            #expect(history.allSatisfy { $0.actor == ann && $0.rawText == "stop it please" && $0.source == .keyword })
        }
    }

    @Test("one message id racing as two different messages: one is recorded, every other caller is told the id was reused", arguments: StoreFactory.all)
    func parallelReusedID(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            let stop = message(company, id: "SM1", from: number)
            let start = message(company, id: "SM1", from: number, text: "START")

            let records = try await withThrowingTaskGroup(of: (InboundMessage, InboundRecord).self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        let (inbound, decision) = index % 2 == 0
                            ? (stop, InboundDecision(action: .optOut, reply: "out")) : (start, InboundDecision(action: .optIn, reply: "in"))
                        return (inbound, try await store.processInbound(inbound, decision: decision))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            let winners = records.filter { !$0.1.replayed }
            try #require(winners.count == 1)
            let winner = winners[0]
            #expect(Set(records.map(\.1.id)) == [winner.1.id])
            #expect(records.allSatisfy { $0.1.action == winner.1.action && $0.1.reply == winner.1.reply })
            #expect(records.filter(\.1.replayed).allSatisfy { $0.1.idReused == ($0.0.text != winner.0.text) })
            let history = try await store.history(companyID: company.id, phone: number)
            #expect(history.count == (winner.1.action == .optOut ? 1 : 0))
        }
    }

    @Test("one unclear reply delivered in parallel waits in the queue once", arguments: StoreFactory.all)
    func parallelReviewReplays(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let inbound = message(company, id: "SM1", from: try Sample.phone(1), text: "stop maybe")
            let decision = InboundDecision(action: .review, reply: nil, reviewDeadline: Sample.now + Sample.day)

            let records = try await withThrowingTaskGroup(of: InboundRecord.self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask { try await store.processInbound(inbound, decision: decision) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            #expect(records.filter { !$0.replayed }.count == 1)
            #expect(records.allSatisfy { $0.action == .review && !$0.idReused })
            let queue = try await store.reviewQueue(companyID: company.id)
            #expect(queue.map(\.id) == [records[0].id])
        }
    }
}
