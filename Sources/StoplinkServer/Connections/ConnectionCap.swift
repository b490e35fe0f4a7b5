import HummingbirdCore
import Logging

/// Serves at most `maximum` connections at once: past it the server stops accepting and new
/// connections wait in the listen queue (or are refused once that is full) until one closes.
/// Reaching the cap is logged once, with a reminder at most every `warningInterval` while it
/// keeps being reached, never a line per connection.
struct ConnectionCap: AvailableConnectionsDelegate {
    static let warningInterval: Duration = .seconds(300)

    let maximum: Int
    let logger: Logger
    private var open = 0
    private var warnedAt: ContinuousClock.Instant?

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        guard open >= maximum else { return }
        let now = ContinuousClock.now
        if let warnedAt, now - warnedAt < Self.warningInterval { return }
        warnedAt = now
        logger.warning(
            "connection limit reached: new connections wait until one closes",
            metadata: ["max_connections": "\(maximum)"]
        )
    }

    mutating func connectionClosed() {
        open -= 1
    }

    func isAcceptingNewConnections() -> Bool {
        open < maximum
    }
}
