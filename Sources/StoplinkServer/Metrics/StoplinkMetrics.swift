import Prometheus
import StoplinkCore
import StoplinkStore

/// What `GET /metrics` reports. Everything is kept in one `PrometheusCollectorRegistry`, which
/// `serve` also hands to swift-metrics (`MetricsSystem.bootstrap`) so libraries report there
/// too; each test builds its own registry and never touches the global one.
///
/// Labels hold only values from small fixed sets (route patterns, status codes, sources,
/// outcomes, limit names): never a code, a phone number or a key.
public struct StoplinkMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Seconds; from a cached page to a large CSV export.
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]
    /// The methods counted by name; any other is counted as `other`, so a client cannot invent labels.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// One answered request; `route` is the route pattern (`/{code}`), or `unmatched`.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let method = Self.knownMethods.contains(method) ? method : "other"
        registry.makeCounter(
            descriptor: .init(namespace: "stoplink", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered, by route pattern and status"),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "stoplink", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer an HTTP request, by route pattern"),
            labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Opt-outs this process recorded, by where they came from.
    func optOuts(source: ConsentSource, count: Int = 1) {
        guard count > 0 else { return }
        registry.makeCounter(
            descriptor: .init(namespace: "stoplink", metricName: "opt_outs", unitName: "total", helpText: "Opt-outs recorded, by source"),
            labels: [("source", source.rawValue)]
        ).increment(by: Int64(count))
    }

    /// How a webhook delivery attempt ended.
    enum DeliveryOutcome: String {
        case succeeded
        /// Failed; another attempt is scheduled.
        case failed
        /// Failed for the last time.
        case gaveUp = "gave_up"
        /// 410: the endpoint was disabled.
        case gone

        init(_ outcome: AttemptOutcome) {
            switch outcome {
            case .succeeded: self = .succeeded
            case .failed(_, _, nil): self = .gaveUp
            case .failed: self = .failed
            case .gone: self = .gone
            }
        }
    }

    func delivery(_ outcome: DeliveryOutcome) {
        registry.makeCounter(
            descriptor: .init(namespace: "stoplink", metricName: "webhook_deliveries", unitName: "total", helpText: "Webhook delivery attempts, by outcome"),
            labels: [("outcome", outcome.rawValue)]
        ).increment()
    }

    func rateLimited(_ limit: RateLimit) {
        registry.makeCounter(
            descriptor: .init(namespace: "stoplink", metricName: "rate_limit_rejections", unitName: "total", helpText: "Requests refused with 429, by limit"),
            labels: [("limit", limit.name)]
        ).increment()
    }

    /// A database call that failed; `component` says whose (`request`, `readiness`, `webhooks`, `visits`, `metrics`).
    func databaseError(_ component: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "stoplink", metricName: "database_errors", unitName: "total", helpText: "Database calls that failed, by component"),
            labels: [("component", component)]
        ).increment()
    }

    /// The deliveries waiting to be sent, read from the store when scraped.
    func backlog(count: Int, oldestAge: Double) {
        registry.makeGauge(
            descriptor: .init(namespace: "stoplink", metricName: "webhook_backlog", unitName: "deliveries", helpText: "Pending webhook deliveries to enabled endpoints")
        ).set(to: Double(count))
        registry.makeGauge(
            descriptor: .init(namespace: "stoplink", metricName: "webhook_backlog_oldest_age", unitName: "seconds", helpText: "Age of the oldest pending webhook delivery (0 when none)")
        ).set(to: oldestAge)
    }
}
