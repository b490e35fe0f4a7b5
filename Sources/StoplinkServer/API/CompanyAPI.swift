import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `GET/PATCH /api/v1/company`: the key's company and its settings.
struct CompanyAPI: Sendable {
    static let maximumTextLength = 2_000
    static let maximumReasons = 12

    let store: any Store

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("company", use: show)
        group.patch("company", use: update)
    }

    struct ReasonBody: Codable, Equatable {
        var key: String
        /// One label for every language, or labels per language.
        var label: LocalizedLabel
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
        var inboundPolicy: String
        /// The token itself is write-only.
        var twilioAuthTokenSet: Bool
        var keywords: [String: [String]]
        var messageRules: MessageRules
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
                        ? .single(reason.labels[Language.fallback] ?? "") : .perLanguage(reason.labels)
                )
            }
            optOutScope = company.optOutScope
            pageText = company.pageText
            helpText = company.helpText
            confirmationText = company.confirmationText
            inboundPolicy = company.inboundPolicy.rawValue
            twilioAuthTokenSet = company.twilioAuthToken != nil
            keywords = company.keywords
            messageRules = company.messageRules
            createdAt = company.createdAt
        }
    }

    struct Patch: Decodable, KnownFields {
        static let knownFields: Set<String> = [
            "name", "default_country", "default_language", "reasons", "opt_out_scope", "page_text", "help_text",
            "confirmation_text", "inbound_policy", "twilio_auth_token", "keywords", "message_rules",
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
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        try APIJSON.response(CompanyView(try context.requireCompany()))
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        var company = try context.requireCompany()
        let patch = try await APIJSON.decode(Patch.self, from: request)
        var problems: [APIError.Detail] = []
        if let name = patch.name {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.count > 200 { problems.append(.init(field: "name", reason: "must be 1–200 characters")) }
            company.name = trimmed
        }
        if let country = patch.defaultCountry {
            if country.count != 2 || !PhoneMetadata.isKnownRegion(country) {
                problems.append(.init(field: "default_country", reason: "must be an ISO 3166 alpha-2 code such as NL"))
            }
            company.defaultCountry = country.uppercased()
        }
        if let language = patch.defaultLanguage {
            if Language.supportedTag(language) != language.lowercased() {
                problems.append(.init(field: "default_language", reason: "must be one of \(Language.supported.joined(separator: ", "))"))
            }
            company.defaultLanguage = language.lowercased()
        }
        if let reasons = patch.reasons {
            problems += Self.problems(with: reasons)
            company.reasons = reasons.isEmpty ? nil : reasons.map { Reason(key: $0.key, labels: $0.label.labels) }
        }
        if let scope = patch.optOutScope { company.optOutScope = scope }
        for (field, texts) in [("page_text", patch.pageText), ("help_text", patch.helpText), ("confirmation_text", patch.confirmationText)] {
            guard let texts else { continue }
            problems += Self.problems(withTexts: texts, field: field)
        }
        if let pageText = patch.pageText { company.pageText = pageText }
        if let helpText = patch.helpText { company.helpText = helpText }
        if let confirmationText = patch.confirmationText { company.confirmationText = confirmationText }
        if let policy = patch.inboundPolicy {
            if let known = InboundPolicy(rawValue: policy) {
                company.inboundPolicy = known
            } else {
                problems.append(.init(field: "inbound_policy", reason: "must be apply or review"))
            }
        }
        if let token = patch.twilioAuthToken { company.twilioAuthToken = token.isEmpty ? nil : token }
        if let given = patch.keywords {
            // The decoder's snake_case conversion may have camel-cased the dictionary's keys.
            let keywords = Dictionary(given.map { (APIJSON.snakeCase($0.key), $0.value) }) { first, _ in first }
            for (kind, words) in keywords {
                if !["opt_out", "opt_in", "help"].contains(kind) { problems.append(.init(field: "keywords", reason: "unknown kind \(kind); use opt_out, opt_in or help")) }
                if words.count > 50 || words.contains(where: { $0.isEmpty || $0.count > 40 }) {
                    problems.append(.init(field: "keywords.\(kind)", reason: "at most 50 words of 1–40 characters"))
                }
            }
            company.keywords = keywords
        }
        if let rules = patch.messageRules {
            for (country, rule) in rules.countries {
                if country.count != 2 || !PhoneMetadata.isKnownRegion(country) {
                    problems.append(.init(field: "message_rules.countries", reason: "\(country) is not an ISO 3166 alpha-2 code"))
                }
                if let code = rule.shortCode, !(3...8).contains(code.count) || !code.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    problems.append(.init(field: "message_rules.countries.\(country).short_code", reason: "must be 3–8 digits"))
                }
            }
            if rules.texts.values.contains(where: { $0.count > 200 }) {
                problems.append(.init(field: "message_rules.texts", reason: "at most 200 characters a line"))
            }
            company.messageRules = MessageRules(
                shortLinks: rules.shortLinks, purposes: rules.purposes,
                countries: Dictionary(rules.countries.map { ($0.key.uppercased(), $0.value) }) { first, _ in first }, texts: rules.texts
            )
        }
        guard problems.isEmpty else {
            throw APIError(.unprocessableContent, "invalid_settings", "some settings are not valid", details: problems)
        }
        try await store.updateCompany(company)
        return try APIJSON.response(CompanyView(company))
    }

    static func problems(with reasons: [ReasonBody]) -> [APIError.Detail] {
        var problems: [APIError.Detail] = []
        if reasons.count > maximumReasons { problems.append(.init(field: "reasons", reason: "at most \(maximumReasons) reasons")) }
        var seen: Set<String> = []
        for (index, reason) in reasons.enumerated() {
            let field = "reasons[\(index)]"
            if !reason.key.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) || !(1...40).contains(reason.key.count) {
                problems.append(.init(field: "\(field).key", reason: "must be 1–40 characters of a-z, 0-9 and _"))
            }
            if !seen.insert(reason.key).inserted { problems.append(.init(field: "\(field).key", reason: "is used twice")) }
            for (language, label) in reason.label.labels {
                if Language.supportedTag(language) != language { problems.append(.init(field: "\(field).label", reason: "unknown language \(language)")) }
                if label.isEmpty || label.count > 200 { problems.append(.init(field: "\(field).label", reason: "must be 1–200 characters")) }
            }
        }
        return problems
    }

    static func problems(withTexts texts: [String: String], field: String) -> [APIError.Detail] {
        texts.flatMap { language, text -> [APIError.Detail] in
            var problems: [APIError.Detail] = []
            if Language.supportedTag(language) != language { problems.append(.init(field: field, reason: "unknown language \(language)")) }
            if text.count > maximumTextLength { problems.append(.init(field: field, reason: "at most \(maximumTextLength) characters")) }
            return problems
        }
    }
}
