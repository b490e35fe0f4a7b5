import HummingbirdTesting
import Logging
import Testing

@Suite("Readiness")
struct ReadinessTests {
    @Test("/readyz answers 200 while the database answers and 503 once it cannot; /healthz stays 200")
    func readyFollowsTheDatabase() async throws {
        let fixture = try await Fixture(database: .sqlite)

        try await fixture.application().test(.router) { client in
            let before = try await client.execute(uri: "/readyz", method: .get)
            try fixture.store.close()
            let after = try await client.execute(uri: "/readyz", method: .get)
            let health = try await client.execute(uri: "/healthz", method: .get)

            #expect(before.status == .ok)
            #expect(after.status == .serviceUnavailable)
            #expect(String(buffer: after.body) == "database not reachable\n")
            #expect(health.status == .ok)
        }
        #expect(fixture.logs.lines.contains { $0.level == .error && $0.message == "database not reachable" })
    }
}
