/// How long the server waits for a client, and how many clients it serves at once: a client that
/// sends slowly, or not at all, must not hold a connection (and a file descriptor) for long.
public struct ConnectionLimits: Sendable, Equatable {
    /// From a connection's opening until its first request's header is complete.
    public var headerTimeout: Duration
    /// Time spent waiting for a request body's bytes, plus a second per KiB received; time the
    /// server itself is busy with the body (writing it to the database, say) does not count.
    public var bodyTimeout: Duration
    /// How long a kept-alive connection may wait for its next request, header included.
    public var idleTimeout: Duration
    /// Connections served at once; past it new ones wait in the listen queue until one closes.
    public var maximumConnections: Int

    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60), idleTimeout: Duration = .seconds(30),
        maximumConnections: Int = 1000
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maximumConnections = maximumConnections
    }

    /// What is wrong with these limits, as flag names.
    func problems() -> [String] {
        var problems: [String] = []
        for (flag, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout)]
        where value <= .zero {
            problems.append("\(flag) must be more than 0 seconds")
        }
        if maximumConnections < 1 { problems.append("--max-connections must be at least 1, not \(maximumConnections)") }
        return problems
    }
}
