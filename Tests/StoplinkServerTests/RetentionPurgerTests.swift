import Foundation
import ServiceLifecycle
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

@Suite("The purge inside serve")
struct RetentionPurgerTests {
    @Test("the first purge runs soon after start; a graceful shutdown ends the wait for the next")
    func firstRunThenShutdown() async throws {
        let fixture = try await Fixture()
        let visitedAt = fixture.clock.now()
        try await fixture.store.recordVisits([
            Visit(linkID: fixture.link.id, kind: .human, visitor: "a", at: visitedAt),
            Visit(linkID: fixture.link.id, kind: .bot, visitor: "b", at: visitedAt),
        ])
        fixture.clock.advance(by: Double(RetentionPeriods.standard.visitsDays + 1) * 86_400)
        let logger = fixture.logs.logger()
        let purger = RetentionPurger(
            store: fixture.store, clock: fixture.clock, logger: logger, firstRun: .milliseconds(1), interval: .seconds(86_400)
        )
        let group = ServiceGroup(configuration: .init(services: [purger], gracefulShutdownSignals: [], logger: logger))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while !fixture.logs.lines.contains(where: { $0.message == "purged expired details" }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            // The next run is a day away: only the shutdown can end this group.
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }

        let line = try #require(fixture.logs.lines.first { $0.message == "purged expired details" })
        #expect(line.metadata["visits"] == "2")
        #expect(fixture.logs.lines.filter { $0.message == "purged expired details" }.count == 1)
        #expect(try await fixture.store.visitCounts(linkID: fixture.link.id) == VisitCounts(human: 1, bot: 1, uniqueHumans: 1))
    }
}
