import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `Authorization: Bearer sk_...` on every `/api/v1` route: the key is found by its prefix,
/// compared by hash, and must not be revoked. Its company is put on the context. Each key has
/// its own allowance (`--limit-api`); past it the answer is 429 with `Retry-After`.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// `last_used_at` is written at most this often per key, so reads stay reads.
    static let touchInterval: TimeInterval = 60

    let store: any Store
    let clock: any WallClock
    let abuse: AbuseLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthorized
        }
        let key = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard let prefix = APIKey.prefix(of: key), let stored = try await store.key(prefix: prefix),
              stored.revokedAt == nil, APIKey.hashesMatch(stored.hash, APIKey.hash(key)),
              let company = try await store.company(id: stored.companyID) else {
            throw APIError.unauthorized
        }
        // Per key, by its public prefix: one platform's burst never slows another's.
        if let wait = await abuse.check(abuse.limits.api, key: prefix, logger: context.logger) {
            throw APIError.rateLimited(retryAfter: wait)
        }
        let now = clock.now()
        if stored.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.touchInterval }) ?? true {
            try await store.touchKey(prefix: prefix, at: now)
        }
        var context = context
        context.company = company
        context.logger[metadataKey: "company"] = "\(company.id)"
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// The authenticated company; the key middleware guarantees it on `/api/v1` routes.
    func requireCompany() throws -> Company {
        guard let company else { throw APIError.unauthorized }
        return company
    }
}
