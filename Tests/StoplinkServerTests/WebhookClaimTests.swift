import Foundation
import Logging
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

@Suite("Webhooks out: several dispatchers")
struct WebhookClaimTests {
    static let dispatchers = 4
    static let events = 12

    @Test("Dispatchers running at once over one database send each event once")
    func parallelDispatchers() async throws {
        let fixture = try await APIFixture()
        let receiver = WebhookReceiver()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let dispatchers = (0..<Self.dispatchers).map { _ in
            WebhookDispatcher(
                store: fixture.store, clock: fixture.base.clock, allowInsecure: true, eventIDs: fixture.base.dependencies.webhooks.eventIDs,
                logger: logger
            )
        }

        try await receiver.run { url in
            _ = try await fixture.store.createEndpoint(companyID: fixture.company.id, url: url, description: "", eventTypes: [], at: fixture.base.clock.now())
            for index in 0..<Self.events {
                _ = try await fixture.store.recordOptOut(OptOutRequest(
                    companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+316110000\(10 + index)"), scope: .marketing,
                    source: .api, occurredAt: fixture.base.clock.now()
                ))
            }

            let sent = await withTaskGroup(of: Int.self) { group in
                for dispatcher in dispatchers { group.addTask { await dispatcher.runOnce() } }
                return await group.reduce(0, +)
            }
            // Whatever the parallel round left (none, as one claim takes the whole line) goes now.
            var drained = 0
            while case let more = await dispatchers[0].runOnce(), more > 0 { drained += more }

            #expect(sent + drained == Self.events)
            let ids = receiver.received.map(\.id)
            #expect(ids.count == Self.events)
            #expect(Set(ids).count == Self.events)
        }
    }
}
