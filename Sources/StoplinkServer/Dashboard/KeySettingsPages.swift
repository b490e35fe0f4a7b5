import Foundation
import HTTPTypes
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `/dashboard/settings/keys`: the company's API keys. A new key is shown once, on the answer
/// that created it; the store keeps only its hash, so no later page can show it again.
extension DashboardController {
    static let keysPath = "/dashboard/settings/keys"
    static let keyNotices = ["revoked": "The key was revoked: requests with it are refused from now on."]

    func addKeySettingsRoutes(to settings: RouterGroup<DashboardContext>) {
        settings.get("keys", use: keysPage)
        settings.post("keys", use: createKey)
        settings.post("keys/{prefix}/revoke", use: revokeKey)
    }

    @Sendable func keysPage(request: Request, context: DashboardContext) async throws -> Response {
        try await renderKeys(context, notice: notice(request, Self.keyNotices))
    }

    /// The name is checked as the API checks it (`KeysAPI.validName`).
    @Sendable func createKey(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            let typed = fields["name"] ?? ""
            guard let name = KeysAPI.validName(typed) else {
                return try await renderKeys(context, typed: typed, error: "The name must be \(KeysAPI.nameRule).", status: .unprocessableContent)
            }
            let (key, stored) = try await store.createKey(companyID: context.visitor.company.id, name: name, at: clock.now())
            try await recordChange(context, "key_created", name.isEmpty ? stored.prefix : "\(stored.prefix) \(name)")
            context.logger.info("API key created on the dashboard", metadata: ["prefix": "\(stored.prefix)"])
            return try shownOnce(
                context, nav: "settings", heading: "API key created",
                text: "Send it as Authorization: Bearer KEY. Copy it now: it is shown only once, and Stoplink keeps only a hash of it.",
                label: "API key \(stored.prefix)", secret: key, backHref: Self.keysPath, backLabel: "API keys"
            )
        }
    }

    @Sendable func revokeKey(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { _ in
            let prefix = context.parameters.get("prefix") ?? ""
            guard let revoked = try await store.revokeKey(prefix: prefix, companyID: context.visitor.company.id, at: clock.now()) else {
                return try notFound(context.visitor)
            }
            try await recordChange(context, "key_revoked", revoked.prefix)
            return done(Self.keysPath, "revoked")
        }
    }

    private func renderKeys(
        _ context: DashboardContext, notice: String? = nil, typed: String = "", error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let keys = try await store.keys(companyID: context.visitor.company.id)
        var values: [String: Any] = [
            "keys": keys.map { key in
                [
                    "prefix": key.prefix, "name": key.name, "created": Self.utc(key.createdAt),
                    "last_used": key.lastUsedAt.map { Self.utc($0) } ?? "never", "revoked": Self.utc(key.revokedAt),
                    "active": key.revokedAt == nil, "revoke_href": "\(Self.keysPath)/\(Self.pathComponent(key.prefix))/revoke",
                ] as [String: Any]
            },
            "has_keys": !keys.isEmpty, "typed": typed, "name_limit": KeysAPI.nameLimit,
        ]
        if let notice { values["notice"] = notice }
        if let error { values["name_error"] = error }
        return try page("settings_keys", context.visitor, nav: "settings", values: values, status: status)
    }
}
