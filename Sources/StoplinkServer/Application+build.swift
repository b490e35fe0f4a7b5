import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StoplinkCore
import StoplinkStore

/// What the application runs on; tests build their own to hold the store and a manual clock.
public struct AppDependencies: Sendable {
    public var store: any Store
    public var clock: any WallClock
    public var renderer: PageRenderer
    public var dashboardRenderer: DashboardRenderer
    public var visits: VisitRecorder
    public var webhooks: WebhookDispatcher
    /// The signing secret: the configured one, or the one kept in the database.
    public var secret: String
    /// Where `/metrics` reads from; `serve` hands the same registry to swift-metrics.
    public var metrics: StoplinkMetrics
    /// The allowances behind the abuse limits.
    public var limiter: any RateLimiter

    public init(
        store: any Store, clock: any WallClock, renderer: PageRenderer, dashboardRenderer: DashboardRenderer, visits: VisitRecorder,
        webhooks: WebhookDispatcher, secret: String, metrics: StoplinkMetrics = StoplinkMetrics(),
        limiter: any RateLimiter = MemoryRateLimiter()
    ) {
        self.dashboardRenderer = dashboardRenderer
        self.metrics = metrics
        self.limiter = limiter
        self.store = store
        self.clock = clock
        self.renderer = renderer
        self.visits = visits
        self.webhooks = webhooks
        self.secret = secret
    }

    /// Loads the templates and the signing secret; `store` is opened (and its services run) by
    /// the caller for as long as the application runs.
    public static func make(
        config: AppConfig, store: any Store, clock: any WallClock, logger: Logger, metrics: StoplinkMetrics = StoplinkMetrics()
    ) async throws -> AppDependencies {
        let renderer = try await PageRenderer(resourcesDirectory: config.resourcesDirectory)
        let dashboardRenderer = try await DashboardRenderer(resourcesDirectory: config.resourcesDirectory)
        let secret: String
        if let configured = config.secret {
            secret = configured
        } else {
            secret = try await store.setting("signing_secret") {
                Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
            }
        }
        return AppDependencies(
            store: store, clock: clock, renderer: renderer, dashboardRenderer: dashboardRenderer, visits: VisitRecorder(store: store, logger: logger),
            webhooks: WebhookDispatcher(
                store: store, clock: clock, allowInsecure: config.allowInsecureWebhooks, eventIDs: WebhookEventID(secret: Data(secret.utf8)),
                logger: logger, metrics: metrics, claimLease: config.webhookLease
            ),
            secret: secret, metrics: metrics
        )
    }
}

/// Opens the store a database URL names (`sqlite:PATH`), migrating a SQLite file (one process
/// owns it). Callers run the store's `services` while they use it (see `withStore` in the CLI).
public func openStore(_ database: String, logger: Logger = Logger(label: "stoplink")) throws -> any Store {
    if PostgresURL.isPostgres(database) { return PostgresStore(url: try PostgresURL(database), logger: logger) }
    guard let path = AppConfig.sqlitePath(database) else { throw StoreError.unsupportedDatabase(database) }
    return try SQLiteStore.open(path: path)
}

/// The whole service: HTTP server plus its background services.
public func buildApplication(
    config: AppConfig, dependencies: AppDependencies, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(config: config, dependencies: dependencies)
    let maximumConnections = config.connections.effectiveMaximumConnections()
    if maximumConnections < config.connections.maximumConnections {
        logger.notice(
            "connection cap lowered to fit the open-file limit",
            metadata: ["max_connections": "\(maximumConnections)", "configured": "\(config.connections.maximumConnections)"]
        )
    }
    var services: [any Service] = [
        dependencies.visits, dependencies.webhooks,
        RetentionPurger(store: dependencies.store, clock: dependencies.clock, logger: logger),
    ]
    if let smtp = config.smtp, let from = config.smtpFrom {
        services.append(EmailSender(
            store: dependencies.store, clock: dependencies.clock, client: SMTPClient(settings: smtp), from: from,
            digestHour: config.emailDigestHour, logger: logger
        ))
    }
    return Application(
        router: router,
        server: .guardedHTTP1(limits: config.connections),
        configuration: .init(
            address: .hostname(config.host, port: config.port), serverName: "Stoplink",
            availableConnectionsDelegate: ConnectionCap(maximum: maximumConnections, logger: logger)
        ),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}

public func buildRouter(config: AppConfig, dependencies: AppDependencies) -> Router<AppRequestContext> {
    let secret = Data(dependencies.secret.utf8)
    let metrics = dependencies.metrics
    let abuse = AbuseLimits(
        limits: config.rateLimits, trustedProxies: config.trustedProxies, limiter: dependencies.limiter, clock: dependencies.clock,
        metrics: metrics
    )
    let landing = LandingController(
        store: dependencies.store,
        renderer: dependencies.renderer,
        formToken: FormToken(secret: secret),
        visits: dependencies.visits,
        clock: dependencies.clock,
        allowedOrigins: [origin(of: config.publicURL)].compactMap { $0 }.reduce(into: Set<String>()) { $0.insert($1) },
        abuse: abuse, metrics: metrics,
        visitorKey: Data(SHA256.hash(data: Data("stoplink visitor".utf8) + secret))
    )
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: SecurityHeadersMiddleware(contentSecurityPolicy: dependencies.renderer.contentSecurityPolicy))
    router.add(middleware: ErrorPageMiddleware(landing: landing, metrics: metrics))
    let robots = (try? String(
        contentsOf: URL(fileURLWithPath: config.resourcesDirectory).appendingPathComponent("Public/robots.txt"), encoding: .utf8
    )) ?? "User-agent: *\nDisallow: /\n"
    OpsController(store: dependencies.store, robots: robots, metrics: metrics).addRoutes(to: router)
    MetricsController(metrics: metrics, store: dependencies.store, clock: dependencies.clock, token: config.metricsToken).addRoutes(to: router)
    addAPIRoutes(to: router, config: config, dependencies: dependencies, abuse: abuse)
    InboundController(
        store: dependencies.store, renderer: dependencies.renderer, clock: dependencies.clock, publicURL: config.publicURL,
        abuse: abuse, metrics: metrics
    ).addRoutes(to: router)
    let hasher = PasswordHasher(cost: config.bcryptCost)
    DashboardController(
        store: dependencies.store, renderer: dependencies.dashboardRenderer, clock: dependencies.clock,
        sessions: DashboardSessions(lifetime: .standard, secure: config.publicURL.lowercased().hasPrefix("https:")),
        csrf: FormToken(secret: secret, purpose: .dashboard), hasher: hasher, decoyHash: hasher.decoyHash(), abuse: abuse,
        webhooks: dependencies.webhooks
    ).addRoutes(to: router)
    landing.addRoutes(to: router)
    // Last, so it wraps only the router's not-found answer: a known path under another method.
    router.add(middleware: MethodNotAllowedMiddleware(routes: RouteMethods(router.routes.map { ($0.path.description, $0.method) })))
    return router
}

/// `/api/v1`: every route behind an API key; POSTs honour `Idempotency-Key`.
func addAPIRoutes(to router: Router<AppRequestContext>, config: AppConfig, dependencies: AppDependencies, abuse: AbuseLimits) {
    let store = dependencies.store
    let clock = dependencies.clock
    let openAPI = OpenAPIDocument(resourcesDirectory: config.resourcesDirectory)
    router.get("api/v1/openapi.json", use: openAPI.serve)
    let api = router.group("api/v1")
        .add(middleware: APIKeyMiddleware(store: store, clock: clock, abuse: abuse))
        .add(middleware: IdempotencyMiddleware(store: store, clock: clock))
    CompanyAPI(store: store).addRoutes(to: api)
    CampaignsAPI(store: store, clock: clock).addRoutes(to: api)
    LinksAPI(store: store, config: config, clock: clock).addRoutes(to: api)
    CheckAPI(store: store).addRoutes(to: api)
    SuppressionsAPI(store: store, clock: clock, metrics: dependencies.metrics).addRoutes(to: api)
    KeysAPI(store: store, clock: clock).addRoutes(to: api)
    FeedAPI(store: store).addRoutes(to: api)
    InboundAPI(store: store, clock: clock).addRoutes(to: api)
    MessagesAPI(store: store, config: config, clock: clock).addRoutes(to: api)
    WebhooksAPI(
        store: store, clock: clock, dispatcher: dependencies.webhooks,
        policy: WebhookURLPolicy(allowInsecure: config.allowInsecureWebhooks)
    ).addRoutes(to: api)
}

/// `scheme://host[:port]` of a URL, lowercased, as browsers send it in `Origin`.
func origin(of url: String) -> String? {
    guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
        return nil
    }
    let port = components.port.map { ":\($0)" } ?? ""
    return "\(scheme)://\(host)\(port)".lowercased()
}
