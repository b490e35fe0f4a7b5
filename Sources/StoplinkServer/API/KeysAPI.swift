import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `POST/GET/DELETE /api/v1/keys`: a key manages its company's keys.
struct KeysAPI: Sendable {
    let store: any Store
    let clock: any WallClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("keys", use: create)
        group.get("keys", use: list)
        group.delete("keys/{prefix}", use: revoke)
    }

    struct CreateRequest: Decodable, KnownFields {
        static let knownFields: Set<String> = ["name"]
        var name: String?
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let body = try await APIJSON.decode(CreateRequest.self, from: request)
        guard let name = Self.validName(body.name ?? "") else { throw APIError.invalid("name", Self.nameRule) }
        let (key, stored) = try await store.createKey(companyID: company.id, name: name, at: clock.now())
        return try APIJSON.response(KeyView(stored, key: key), status: .created).showingSecretOnce()
    }

    static let nameLimit = 100
    static let nameRule = "at most 100 characters"

    /// A key's name as it is stored (trimmed), or nil when it is too long.
    static func validName(_ given: String) -> String? {
        let name = given.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.count <= nameLimit ? name : nil
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        struct Answer: Encodable { var keys: [KeyView] }
        return try APIJSON.response(Answer(keys: try await store.keys(companyID: company.id).map { KeyView($0) }))
    }

    @Sendable func revoke(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let prefix = context.parameters.get("prefix") ?? ""
        guard let revoked = try await store.revokeKey(prefix: prefix, companyID: company.id, at: clock.now()) else {
            throw APIError.notFound("key \(prefix)")
        }
        return try APIJSON.response(KeyView(revoked))
    }
}
