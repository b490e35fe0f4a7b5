import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StoplinkCore
import StoplinkServer

#if os(Linux)
/// glibc's `mallopt` (from malloc.h, which Swift's Glibc module does not export).
@_silgen_name("mallopt") private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// `M_ARENA_MAX` in malloc.h.
private let mallocArenaMax: Int32 = -8
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server and its background services.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Address to listen on (env STOPLINK_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env STOPLINK_PORT; default 8080).")
    var port: Int?

    @Flag(
        name: .customLong("allow-insecure-webhooks"),
        help: "Let webhooks go to http on loopback and to private addresses (development only; env STOPLINK_ALLOW_INSECURE_WEBHOOKS=1)."
    )
    var allowInsecureWebhooks = false

    @OptionGroup var limits: ServeLimitOptions

    @Option(help: "Send email through smtp://user:pass@host:port (STARTTLS when offered; ?starttls=require) or smtps://... (env STOPLINK_SMTP_URL).")
    var smtpURL: String?

    @Option(help: "The sender address of Stoplink's emails (env STOPLINK_SMTP_FROM).")
    var smtpFrom: String?

    @Option(help: "The hour (0-23, UTC) from which each day's email digest is sent (env STOPLINK_EMAIL_DIGEST_HOUR; default 7).")
    var emailDigestHour: Int?

    @Option(help: "Seconds a process's claim on webhook deliveries lasts; a process that dies leaves its claims to the others after this. 30 to 3600: at least a round (10 s) plus one request (15 s) (env STOPLINK_WEBHOOK_LEASE; default 300).")
    var webhookLease: Int?

    @Flag(help: "On an empty database, create a demo company with campaigns, opt-outs and a review item, a link, API key and owner login, and print them.")
    var demo = false

    @OptionGroup var connections: ServeConnectionOptions

    func run() async throws {
        #if os(Linux)
        // glibc gives each busy thread its own heap arena; under bulk issuing that alone added
        // ~100 MB of peak memory. Two arenas keep the server well under its 300 MB budget.
        _ = mallopt(mallocArenaMax, 2)
        #endif
        let logger = makeLogger()
        var config = try options.config(host: host, port: port, validate: false)
        let environment = ProcessInfo.processInfo.environment
        config.allowInsecureWebhooks = allowInsecureWebhooks || environment["STOPLINK_ALLOW_INSECURE_WEBHOOKS"] == "1"
        config.smtpURL = smtpURL ?? environment["STOPLINK_SMTP_URL"]
        config.smtpFrom = smtpFrom ?? environment["STOPLINK_SMTP_FROM"]
        if let lease = webhookLease ?? environment["STOPLINK_WEBHOOK_LEASE"].map({ Int($0) ?? -1 }) { config.webhookLease = TimeInterval(lease) }
        if let hour = emailDigestHour ?? environment["STOPLINK_EMAIL_DIGEST_HOUR"].map({ Int($0) ?? -1 }) { config.emailDigestHour = hour }
        // Every bad setting at once, before the database is touched.
        let problems = limits.apply(to: &config) + connections.apply(to: &config) + config.problems()
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        // One registry for /metrics and for whatever reports through swift-metrics.
        let metrics = StoplinkMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        try await withStore(config, logger: logger) { store in
            let dependencies = try await AppDependencies.make(
                config: config, store: store, clock: SystemClock(), logger: logger, metrics: metrics
            )
            let prepared = demo ? try await Demo.prepare(store: dependencies.store, config: config, clock: dependencies.clock) : nil
            if demo && prepared == nil { printError("--demo: the database already holds other companies; no demo was created") }
            let address = "http://\(config.host):\(config.port)"
            let smtpLine = config.smtp.map { "Email goes through \($0.redacted)" }
            let app = buildApplication(config: config, dependencies: dependencies, logger: logger) { _ in
                // Written unbuffered, so a script reading the output sees the lines once the server is up.
                printLine("Stoplink is listening on \(address)")
                if let smtpLine { printLine(smtpLine) }
                if let prepared {
                    printLine("Demo link: \(prepared.link)")
                    // Before the key line, which scripts (and the end-to-end tests) wait for last.
                    printLine("Demo login: \(prepared.loginLine)")
                    printLine("Demo API key: \(prepared.apiKeyLine)")
                }
            }
            // SIGTERM or SIGINT: stop accepting, let requests in flight finish, then stop the
            // dispatcher and flush page views (Hummingbird stops its services in reverse order);
            // past the bound whatever remains is cancelled. `withStore` then closes the database.
            var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = config.shutdownTimeout
            try await ServiceGroup(configuration: group).run()
        }
    }
}

func makeLogger() -> Logger {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "stoplink")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}
