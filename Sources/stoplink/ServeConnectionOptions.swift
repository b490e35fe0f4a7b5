import ArgumentParser
import Foundation
import StoplinkServer

/// `serve`'s connection limits and shutdown bound; each flag falls back to its `STOPLINK_*`
/// variable, then the default in `ConnectionLimits` and `AppConfig`.
struct ServeConnectionOptions: ParsableArguments {
    @Option(name: .customLong("header-timeout"), help: "Seconds a new connection has to send its first request header (env STOPLINK_HEADER_TIMEOUT; default 10).")
    var headerTimeout: String?

    @Option(name: .customLong("body-timeout"), help: "Seconds the server waits in all for a request body's bytes, plus one per KiB received (env STOPLINK_BODY_TIMEOUT; default 60).")
    var bodyTimeout: String?

    @Option(name: .customLong("idle-timeout"), help: "Seconds a kept-alive connection may wait for its next request (env STOPLINK_IDLE_TIMEOUT; default 30).")
    var idleTimeout: String?

    @Option(name: .customLong("max-connections"), help: "Connections served at once; more wait until one closes (env STOPLINK_MAX_CONNECTIONS; default 1000).")
    var maxConnections: String?

    @Option(name: .customLong("shutdown-timeout"), help: "Seconds requests in flight get to finish after SIGTERM (env STOPLINK_SHUTDOWN_TIMEOUT; default 10).")
    var shutdownTimeout: String?

    /// Sets the limits on `config`; answers every value that is not a number. (Numbers out of
    /// range are reported by `AppConfig.problems`.)
    func apply(to config: inout AppConfig) -> [String] {
        let environment = ProcessInfo.processInfo.environment
        var problems: [String] = []
        func seconds(_ flag: String?, _ name: String, _ variable: String, _ set: (Duration) -> Void) {
            guard let text = flag ?? environment[variable] else { return }
            // A day is more than any of these waits needs, and keeps the arithmetic far from overflow.
            guard let number = Double(text), number.isFinite, number <= 86_400 else {
                problems.append("--\(name) must be a number of seconds up to 86400, not '\(text)'")
                return
            }
            set(.milliseconds(Int64((number * 1000).rounded())))
        }
        seconds(headerTimeout, "header-timeout", "STOPLINK_HEADER_TIMEOUT") { config.connections.headerTimeout = $0 }
        seconds(bodyTimeout, "body-timeout", "STOPLINK_BODY_TIMEOUT") { config.connections.bodyTimeout = $0 }
        seconds(idleTimeout, "idle-timeout", "STOPLINK_IDLE_TIMEOUT") { config.connections.idleTimeout = $0 }
        seconds(shutdownTimeout, "shutdown-timeout", "STOPLINK_SHUTDOWN_TIMEOUT") { config.shutdownTimeout = $0 }
        if let text = maxConnections ?? environment["STOPLINK_MAX_CONNECTIONS"] {
            if let number = Int(text) {
                config.connections.maximumConnections = number
            } else {
                problems.append("--max-connections must be a number, not '\(text)'")
            }
        }
        return problems
    }
}
