import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `GET/PATCH /api/v1/company`: the key's company and its settings.
struct CompanyAPI: Sendable {
    let store: any Store

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("company", use: show)
        group.patch("company", use: update)
    }

    struct ReasonBody: Codable, Equatable {
        var key: String
        /// One label for every language, or labels per language.
        var label: LocalizedLabel
        /// Kept for the opt-outs that gave it, no longer offered on the page; shown only when true.
        var retired: Bool?
    }

    enum LocalizedLabel: Codable, Equatable {
        case single(String)
        case perLanguage([String: String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .single(text)
            } else {
                self = .perLanguage(try container.decode([String: String].self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .single(let text): try container.encode(text)
            case .perLanguage(let labels): try container.encode(labels)
            }
        }

        var labels: [String: String] {
            switch self {
            case .single(let text): [Language.fallback: text]
            case .perLanguage(let labels): labels
            }
        }
    }

    struct CompanyView: Encodable {
        var id: String
        var name: String
        var defaultCountry: String
        var defaultLanguage: String
        var reasons: [ReasonBody]?
        var optOutScope: OptOutScope
        var pageText: [String: String]
        var helpText: [String: String]
        var confirmationText: [String: String]
        var inboundPolicy: InboundPolicy
        /// The token itself is write-only.
        var twilioAuthTokenSet: Bool
        var keywords: [String: [String]]
        var messageRules: MessageRules
        var retainVisitsDays: Int
        var retainReasonsDays: Int
        var retainInboundDays: Int
        var createdAt: Date

        init(_ company: Company) {
            id = company.id
            name = company.name
            defaultCountry = company.defaultCountry
            defaultLanguage = company.defaultLanguage
            reasons = company.reasons?.map { reason in
                ReasonBody(
                    key: reason.key,
                    label: reason.labels.count == 1 && reason.labels[Language.fallback] != nil
                        ? .single(reason.labels[Language.fallback] ?? "") : .perLanguage(reason.labels),
                    retired: reason.retired ? true : nil
                )
            }
            optOutScope = company.optOutScope
            pageText = company.pageText
            helpText = company.helpText
            confirmationText = company.confirmationText
            inboundPolicy = company.inboundPolicy
            twilioAuthTokenSet = company.twilioAuthToken != nil
            keywords = company.keywords
            messageRules = company.messageRules
            retainVisitsDays = company.retention.visitsDays
            retainReasonsDays = company.retention.reasonsDays
            retainInboundDays = company.retention.inboundDays
            createdAt = company.createdAt
        }
    }

    struct Patch: Decodable, KnownFields {
        static let knownFields: Set<String> = [
            "name", "default_country", "default_language", "reasons", "opt_out_scope", "page_text", "help_text",
            "confirmation_text", "inbound_policy", "twilio_auth_token", "keywords", "message_rules",
            "retain_visits_days", "retain_reasons_days", "retain_inbound_days",
        ]
        var name: String?
        var defaultCountry: String?
        var defaultLanguage: String?
        var reasons: [ReasonBody]?
        var optOutScope: OptOutScope?
        var pageText: [String: String]?
        var helpText: [String: String]?
        var confirmationText: [String: String]?
        var inboundPolicy: String?
        var twilioAuthToken: String?
        var keywords: [String: [String]]?
        var messageRules: MessageRules?
        var retainVisitsDays: Int?
        var retainReasonsDays: Int?
        var retainInboundDays: Int?
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        try APIJSON.response(CompanyView(try context.requireCompany()))
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        var company = try context.requireCompany()
        let body = try await request.collectBody(upTo: APIJSON.maximumBodyBytes, limit: "JSON bodies are limited to 8 MB")
        // An empty PATCH is a client mistake, not a request to change nothing (`{}` is that).
        guard body.readableBytes > 0 else {
            throw APIError(.badRequest, "missing_body", "send a JSON object with the settings to change")
        }
        let patch = try APIJSON.decode(Patch.self, from: Data(body.readableBytesView))
        let change = CompanySettingsChange(
            name: patch.name, defaultCountry: patch.defaultCountry, defaultLanguage: patch.defaultLanguage,
            reasons: patch.reasons?.map { Reason(key: $0.key, labels: $0.label.labels, retired: $0.retired ?? false) }, pageText: patch.pageText,
            helpText: patch.helpText, confirmationText: patch.confirmationText, inboundPolicy: patch.inboundPolicy,
            // The decoder's snake_case conversion may have camel-cased the dictionary's keys.
            keywords: patch.keywords.map { given in Dictionary(given.map { (APIJSON.snakeCase($0.key), $0.value) }) { first, _ in first } },
            messageRules: patch.messageRules, retainVisitsDays: patch.retainVisitsDays,
            retainReasonsDays: patch.retainReasonsDays, retainInboundDays: patch.retainInboundDays
        )
        let (settings, problems) = change.checked()
        guard problems.isEmpty else {
            throw APIError(
                .unprocessableContent, "invalid_settings", "some settings are not valid",
                details: problems.map { APIError.Detail(field: $0.field, reason: $0.reason) }
            )
        }
        company.apply(settings)
        if let scope = patch.optOutScope { company.optOutScope = scope }
        if let token = patch.twilioAuthToken { company.twilioAuthToken = token.isEmpty ? nil : token }
        try await store.updateCompany(company)
        return try APIJSON.response(CompanyView(company))
    }
}
