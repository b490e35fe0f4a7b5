import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StoplinkCore

/// The abuse limits `serve` enforces; nil turns one off. The defaults are generous: a
/// recipient, a sending platform and a gateway never meet them doing their work.
public struct RateLimits: Sendable {
    /// Lookups of codes that do not exist (`GET`/`POST /{code}`), per client address: enumeration.
    public var unknownCode: RateLimit?
    /// Recipient form posts (`POST /{code}`), per client address.
    public var form: RateLimit?
    /// Sign-in attempts, per client address, for the login route when there is one.
    public var login: RateLimit?
    /// Every `/api/v1` request, per API key.
    public var api: RateLimit?
    /// Inbound gateway messages with a valid signature, per destination number.
    public var inbound: RateLimit?

    public init(
        unknownCode: RateLimit? = RateLimit(name: "unknown_code", count: 20, window: 60),
        form: RateLimit? = RateLimit(name: "form", count: 30, window: 60),
        login: RateLimit? = RateLimit(name: "login", count: 10, window: 60),
        api: RateLimit? = RateLimit(name: "api", count: 6000, window: 60),
        inbound: RateLimit? = RateLimit(name: "inbound", count: 6000, window: 60)
    ) {
        self.unknownCode = unknownCode
        self.form = form
        self.login = login
        self.api = api
        self.inbound = inbound
    }

    /// The limit names, as flags (`--limit-NAME`, with `-` for `_`) and variables (`STOPLINK_LIMIT_NAME`) spell them.
    public static let names = ["unknown_code", "form", "login", "api", "inbound"]

    /// Sets one limit by name (`unknown_code`, `form`, `login`, `api`, `inbound`) from `COUNT/PERIOD` or `off`.
    public mutating func set(_ name: String, _ text: String) throws(RateLimitError) {
        let limit = try RateLimit.parse(text, name: name)
        switch name {
        case "unknown_code": unknownCode = limit
        case "form": form = limit
        case "login": login = limit
        case "api": api = limit
        case "inbound": inbound = limit
        default: throw RateLimitError(text: text, name: name)
        }
    }
}

/// Applies the limits for the routes: finds who is asking, takes from their allowance, and
/// counts and logs each refusal. One per application, shared by the controllers.
public struct AbuseLimits: Sendable {
    public let limits: RateLimits
    public let trustedProxies: TrustedProxies
    let limiter: any RateLimiter
    let clock: any WallClock
    let metrics: StoplinkMetrics

    public init(limits: RateLimits, trustedProxies: TrustedProxies, limiter: any RateLimiter, clock: any WallClock, metrics: StoplinkMetrics) {
        self.limits = limits
        self.trustedProxies = trustedProxies
        self.limiter = limiter
        self.clock = clock
        self.metrics = metrics
    }

    /// The client's limit key: its address (see `TrustedProxies`), or `unknown` when the
    /// connection has none (in-process tests).
    func clientKey(_ request: Request, context: AppRequestContext) -> String {
        let forwarded = request.headers[values: .xForwardedFor]
        let address = trustedProxies.client(peer: context.remoteAddress?.ipAddress, forwardedFor: forwarded)
        return address.map(ClientAddress.limitKey) ?? "unknown"
    }

    /// nil when the request may go on; else how many seconds to wait. `consume` false only
    /// asks (a client already over the limit), without using up the allowance.
    func check(_ limit: RateLimit?, key: String, consume: Bool = true, logger: Logger) async -> Int? {
        guard let limit else { return nil }
        guard case .refused(let retryAfter) = await limiter.take(limit, key: key, at: clock.now(), consume: consume) else { return nil }
        metrics.rateLimited(limit)
        logger.notice("refused a request over a rate limit", metadata: ["limit": "\(limit.name)", "retry_after": "\(retryAfter)"])
        return retryAfter
    }
}
