import Foundation
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// Several requests at once to one endpoint, one number at a time.
extension WebhookTests {
    /// Long enough that the dispatcher starts its next requests while the first are unanswered.
    static let receiverDelay: Duration = .milliseconds(50)

    func optIn(_ fixture: APIFixture, _ phone: String) async throws {
        _ = try await fixture.store.recordOptIn(
            companyID: fixture.company.id, phone: PhoneNumber(trustedE164: phone), source: .api, evidence: "asked again",
            at: fixture.base.clock.now()
        )
    }

    /// Rounds until one sends nothing: everything due has gone out.
    func drain(_ dispatcher: WebhookDispatcher) async {
        while await dispatcher.runOnce() > 0 {}
    }

    func phone(_ index: Int) -> String {
        "+316120" + String(format: "%05d", index)
    }

    func type(of message: WebhookReceiver.Received) -> String? {
        (try? JSONSerialization.jsonObject(with: message.body) as? [String: Any])?["type"] as? String
    }

    @Test("Opt-outs of different numbers are sent several at once, each once and signed")
    func differentNumbersAtOnce() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver(delay: Self.receiverDelay)
        let dispatcher = fixture.base.dependencies.webhooks

        try await receiver.run { url in
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.base.clock.now()
            )
            for index in 0..<64 { try await optOut(fixture, phone(index)) }

            await drain(dispatcher)

            let deliveries = try await fixture.store.deliveries(endpointID: endpoint.id, limit: 100)
            let ids = receiver.received.map(\.id)
            #expect(receiver.overlap.mostAtOnce > 1, "the receiver answered one request at a time")
            #expect(receiver.overlap.mostAtOnceForOneNumber == 1)
            #expect(deliveries.count == 64)
            #expect(deliveries.allSatisfy { $0.status == .succeeded })
            #expect(ids.count == 64)
            #expect(Set(ids) == Set(deliveries.map { dispatcher.eventIDs.id(ofSeq: $0.seq) }))
            for message in receiver.received {
                #expect(verified(message, secret: endpoint.secret, now: fixture.base.clock.now()))
            }
        }
    }

    @Test("One number's events arrive in event order, one at a time, while other numbers go alongside")
    func oneNumberInOrder() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver(delay: Self.receiverDelay)
        let dispatcher = fixture.base.dependencies.webhooks
        let repeated = [phone(900), phone(901), phone(902)]

        try await receiver.run { url in
            _ = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.base.clock.now()
            )
            for round in 0..<5 {
                for number in repeated {
                    if round.isMultiple(of: 2) { try await optOut(fixture, number) } else { try await optIn(fixture, number) }
                }
                for index in 0..<6 { try await optOut(fixture, phone(round * 6 + index)) }
            }

            await drain(dispatcher)

            let seqs = receiver.seqsByPhone
            #expect(receiver.overlap.mostAtOnce > 1, "the receiver answered one request at a time")
            #expect(receiver.overlap.mostAtOnceForOneNumber == 1, "two requests for one number were in flight at once")
            #expect(receiver.received.count == 3 * 5 + 30)
            for number in repeated {
                let arrived = try #require(seqs[number])
                #expect(arrived.count == 5)
                #expect(arrived == arrived.sorted() && Set(arrived).count == 5, "\(number): \(arrived)")
                let types = receiver.received.filter { $0.phone == number }.map(type(of:))
                #expect(types == ["optout.created", "optout.revoked", "optout.created", "optout.revoked", "optout.created"])
            }
        }
    }

    @Test("A failed event holds back its number's later events until its retry; then all arrive in order")
    func failureHoldsItsNumber() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver(delay: Self.receiverDelay)
        let dispatcher = fixture.base.dependencies.webhooks
        let failing = phone(999)
        // Answered at once, so the failure is seen while the older number's first event is in flight.
        receiver.script([.init(status: .internalServerError, delay: .zero)], phone: failing)
        let older = phone(998)

        try await receiver.run { url in
            let endpoint = try await fixture.store.createEndpoint(
                companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.base.clock.now()
            )
            // The older number's second event waits behind its first and is given back unsent; the
            // next round sends it, but nothing after the failed event.
            try await optOut(fixture, older)
            try await optIn(fixture, older)
            for round in 0..<3 {
                if round == 1 { try await optIn(fixture, failing) } else { try await optOut(fixture, failing) }
                for index in 0..<8 { try await optOut(fixture, phone(round * 8 + index)) }
            }

            await drain(dispatcher)
            let beforeRetry = receiver.seqsByPhone[failing] ?? []
            fixture.base.clock.advance(by: 6)
            await drain(dispatcher)

            let seqs = receiver.seqsByPhone
            #expect(beforeRetry.count == 1, "a later event of the number went out before its failed one: \(beforeRetry)")
            let after = try #require(seqs[failing])
            #expect(after.count == 4)
            #expect(after.first == beforeRetry.first, "the failed event is sent again first")
            #expect(Array(after.dropFirst()) == after.dropFirst().sorted() && Set(after).count == 3, "\(after)")
            #expect(after.dropFirst().first == beforeRetry.first)
            #expect(seqs[older].map { $0 == $0.sorted() && $0.count == 2 } == true, "\(seqs[older] ?? [])")
            let others = seqs.filter { $0.key != failing && $0.key != older }
            #expect(others.count == 24)
            #expect(others.allSatisfy { $0.value.count == 1 }, "every other event once")
            #expect(receiver.overlap.mostAtOnceForOneNumber == 1)
            #expect(try await fixture.store.deliveries(endpointID: endpoint.id, limit: 100).allSatisfy { $0.status == .succeeded })
        }
    }
}
