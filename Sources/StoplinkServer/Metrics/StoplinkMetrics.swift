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
        // Every fixed series starts at 0, so a scraper sees it (and its rate) before the first event.
        for source in ConsentSource.allCases { optOuts(source: source, count: 0) }
        for outcome in DeliveryOutcome.allCases { counter(Self.deliveries, ("outcome", outcome.rawValue)) }
        for limit in RateLimits.names { counter(Self.rejections, ("limit", limit)) }
        for component in Self.databaseComponents { counter(Self.databaseErrors, ("component", component)) }
    }

    // Computed: the descriptor type is not Sendable, so it cannot be a shared constant.
    static var optOutsName: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "stoplink", metricName: "opt_outs", unitName: "total", helpText: "Opt-outs recorded, by source")
    }
    static var deliveries: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "stoplink", metricName: "webhook_deliveries", unitName: "total", helpText: "Webhook delivery attempts, by outcome")
    }
    static var rejections: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "stoplink", metricName: "rate_limit_rejections", unitName: "total", helpText: "Requests refused with 429, by limit")
    }
    static var databaseErrors: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "stoplink", metricName: "database_errors", unitName: "total", helpText: "Database calls that failed, by component")
    }
    static let databaseComponents = ["request", "readiness", "webhooks", "metrics"]

    @discardableResult
    private func counter(_ name: MetricNameDescriptor, _ label: (String, String)) -> Counter {
        registry.makeCounter(descriptor: name, labels: [label])
    }

    /// One answered request; `route` is the route pattern (`/{code}`), or `NotFound` when none matched.
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
        let counter = counter(Self.optOutsName, ("source", source.rawValue))
        if count > 0 { counter.increment(by: Int64(count)) }
    }

    /// How a webhook delivery attempt ended.
    enum DeliveryOutcome: String, CaseIterable {
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
        counter(Self.deliveries, ("outcome", outcome.rawValue)).increment()
    }

    func rateLimited(_ limit: RateLimit) {
        counter(Self.rejections, ("limit", limit.name)).increment()
    }

    /// A database call that failed; `component` is one of `databaseComponents`.
    func databaseError(_ component: String) {
        counter(Self.databaseErrors, ("component", component)).increment()
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
