import Testing

@testable import StoplinkServer

@Suite("Connection limits")
struct ConnectionLimitsTests {
    @Test("Reaching the cap is one warning, however many connections come and go at the cap")
    func capWarnsOnce() {
        let logs = CapturedLogs()
        var cap = ConnectionCap(maximum: 3, logger: logs.logger())

        for _ in 0..<3 { cap.connectionOpened() }
        let acceptingAtCap = cap.isAcceptingNewConnections()
        for _ in 0..<50 {
            cap.connectionClosed()
            cap.connectionOpened()
        }
        cap.connectionClosed()

        #expect(!acceptingAtCap)
        #expect(cap.isAcceptingNewConnections())
        let warnings = logs.lines.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.metadata["max_connections"] == "3")
    }

    @Test("The cap is lowered to fit the open-file limit, never below one")
    func capFitsDescriptors() {
        let limits = ConnectionLimits(maximumConnections: 1000)

        #expect(limits.effectiveMaximumConnections(descriptorLimit: nil) == 1000)
        #expect(limits.effectiveMaximumConnections(descriptorLimit: 256) == 256 - ConnectionLimits.reservedDescriptors)
        #expect(limits.effectiveMaximumConnections(descriptorLimit: 65_536) == 1000)
        #expect(limits.effectiveMaximumConnections(descriptorLimit: 10) == 1)
    }

    @Test("Zero or negative timeouts and caps are refused with their flag names")
    func badLimits() {
        var config = AppConfig()
        config.connections = ConnectionLimits(headerTimeout: .zero, bodyTimeout: .seconds(-1), idleTimeout: .seconds(1), maximumConnections: 0)
        config.shutdownTimeout = .zero

        let problems = config.problems()

        #expect(problems.contains { $0.hasPrefix("--header-timeout") })
        #expect(problems.contains { $0.hasPrefix("--body-timeout") })
        #expect(!problems.contains { $0.hasPrefix("--idle-timeout") })
        #expect(problems.contains { $0.hasPrefix("--max-connections") })
        #expect(problems.contains { $0.hasPrefix("--shutdown-timeout") })
    }
}
