import ArgumentParser
import Foundation
import StoplinkCore
import StoplinkServer

/// `serve`'s abuse limits, trusted proxies and metrics access; each flag falls back to its
/// `STOPLINK_*` variable, then the default in `RateLimits`.
struct ServeLimitOptions: ParsableArguments {
    @Option(
        name: .customLong("trusted-proxy"),
        help: "A proxy (address or network such as 10.0.0.0/8) whose X-Forwarded-For is believed; repeatable (env STOPLINK_TRUSTED_PROXIES, comma-separated; default none)."
    )
    var trustedProxies: [String] = []

    @Option(name: .customLong("limit-unknown-code"), help: "Lookups of unknown codes per client address, COUNT/PERIOD or off (env STOPLINK_LIMIT_UNKNOWN_CODE; default 20/min).")
    var unknownCode: String?

    @Option(name: .customLong("limit-form"), help: "Recipient form posts per client address (env STOPLINK_LIMIT_FORM; default 30/min).")
    var form: String?

    @Option(name: .customLong("limit-login"), help: "Sign-in attempts per client address (env STOPLINK_LIMIT_LOGIN; default 10/min).")
    var login: String?

    @Option(name: .customLong("limit-api"), help: "API requests per key (env STOPLINK_LIMIT_API; default 6000/min).")
    var api: String?

    @Option(name: .customLong("limit-inbound"), help: "Signed inbound gateway messages per destination number (env STOPLINK_LIMIT_INBOUND; default 6000/min).")
    var inbound: String?

    @Option(
        name: .customLong("metrics-token"),
        help: "Serve GET /metrics to Authorization: Bearer TOKEN, at least 16 characters (env STOPLINK_METRICS_TOKEN; default: /metrics is off)."
    )
    var metricsToken: String?

    /// Sets the limits, proxies and token on `config`; answers every bad value.
    func apply(to config: inout AppConfig) -> [String] {
        let environment = ProcessInfo.processInfo.environment
        var problems: [String] = []
        let given = ["unknown_code": unknownCode, "form": form, "login": login, "api": api, "inbound": inbound]
        for name in RateLimits.names {
            guard let text = (given[name] ?? nil) ?? environment["STOPLINK_LIMIT_\(name.uppercased())"] else { continue }
            do {
                try config.rateLimits.set(name, text)
            } catch {
                problems.append("--limit-\(name.replacingOccurrences(of: "_", with: "-")): \(error)")
            }
        }
        let proxies = trustedProxies.isEmpty
            ? (environment["STOPLINK_TRUSTED_PROXIES"] ?? "").split(separator: ",").map(String.init) : trustedProxies
        do {
            config.trustedProxies = try TrustedProxies(parsing: proxies)
        } catch {
            problems.append(error.description)
        }
        config.metricsToken = metricsToken ?? environment["STOPLINK_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return problems
    }
}
