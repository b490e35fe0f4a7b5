import Foundation

/// A reason a recipient can pick on the page; `labels` per language, `en` used when one is missing.
/// A retired reason stays in the company's list, so the opt-outs that gave it keep a label, but
/// is no longer offered on the page.
public struct Reason: Codable, Equatable, Sendable {
    public var key: String
    public var labels: [String: String]
    public var retired: Bool

    public init(key: String, labels: [String: String], retired: Bool = false) {
        self.key = key
        self.labels = labels
        self.retired = retired
    }

    /// The label in `language`, else the English one, else the key.
    public func label(language: String) -> String {
        labels[language] ?? labels[Language.fallback] ?? key
    }

    /// The reasons a recipient is offered: the list without the retired ones, in its order.
    public static func offered(_ reasons: [Reason]) -> [Reason] {
        reasons.filter { !$0.retired }
    }

    enum CodingKeys: String, CodingKey { case key, labels, retired }

    /// Lists stored before reasons could be retired have no `retired` field.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        labels = try container.decode([String: String].self, forKey: .labels)
        retired = try container.decodeIfPresent(Bool.self, forKey: .retired) ?? false
    }

    /// `retired` is written only when set, so an active reason is stored as before.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(labels, forKey: .labels)
        if retired { try container.encode(true, forKey: .retired) }
    }
}

/// One thing wrong with proposed settings: the field as the API names it, and why.
public struct SettingProblem: Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field) \(reason)" }
}

/// A change to a company's settings, as the API, the CLI or the dashboard proposes it; nil leaves
/// a setting as it is. `checked()` is the one place the rules for every setting live.
public struct CompanySettingsChange: Equatable, Sendable {
    public static let maximumNameLength = 200
    public static let maximumTextLength = 2_000
    /// Reasons offered on the page at once.
    public static let maximumReasons = 12
    /// Reasons kept in the list, retired ones included.
    public static let maximumStoredReasons = 50
    public static let maximumKeywords = 50
    public static let maximumLineTextLength = 200

    public var name: String?
    public var defaultCountry: String?
    public var defaultLanguage: String?
    /// An empty list goes back to the standard reasons.
    public var reasons: [Reason]?
    public var pageText: [String: String]?
    public var helpText: [String: String]?
    public var confirmationText: [String: String]?
    public var inboundPolicy: String?
    /// Words per kind (`opt_out`, `opt_in`, `help`).
    public var keywords: [String: [String]]?
    public var messageRules: MessageRules?
    /// Days each kind of detail is kept (`RetentionPeriods`).
    public var retainVisitsDays: Int?
    public var retainReasonsDays: Int?
    public var retainInboundDays: Int?

    public init(
        name: String? = nil, defaultCountry: String? = nil, defaultLanguage: String? = nil, reasons: [Reason]? = nil,
        pageText: [String: String]? = nil, helpText: [String: String]? = nil, confirmationText: [String: String]? = nil,
        inboundPolicy: String? = nil, keywords: [String: [String]]? = nil, messageRules: MessageRules? = nil,
        retainVisitsDays: Int? = nil, retainReasonsDays: Int? = nil, retainInboundDays: Int? = nil
    ) {
        self.name = name
        self.defaultCountry = defaultCountry
        self.defaultLanguage = defaultLanguage
        self.reasons = reasons
        self.pageText = pageText
        self.helpText = helpText
        self.confirmationText = confirmationText
        self.inboundPolicy = inboundPolicy
        self.keywords = keywords
        self.messageRules = messageRules
        self.retainVisitsDays = retainVisitsDays
        self.retainReasonsDays = retainReasonsDays
        self.retainInboundDays = retainInboundDays
    }

    /// `periods` with this change's retention days applied.
    public func retention(applyingTo periods: RetentionPeriods) -> RetentionPeriods {
        RetentionPeriods(
            visitsDays: retainVisitsDays ?? periods.visitsDays, reasonsDays: retainReasonsDays ?? periods.reasonsDays,
            inboundDays: retainInboundDays ?? periods.inboundDays
        )
    }

    /// The change in its stored form (name trimmed, country upper-cased, language lower-cased,
    /// rule countries upper-cased) and every problem with it at once, in field order.
    public func checked() -> (normalised: CompanySettingsChange, problems: [SettingProblem]) {
        var normalised = self
        var problems: [SettingProblem] = []
        if let name {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.count > Self.maximumNameLength {
                problems.append(.init(field: "name", reason: "must be 1–\(Self.maximumNameLength) characters"))
            }
            normalised.name = trimmed
        }
        if let country = defaultCountry {
            if !Self.isCountry(country) {
                problems.append(.init(field: "default_country", reason: "must be an ISO 3166 alpha-2 code such as NL"))
            }
            normalised.defaultCountry = country.uppercased()
        }
        if let language = defaultLanguage {
            if Language.supportedTag(language) != language.lowercased() {
                problems.append(.init(field: "default_language", reason: "must be one of \(Language.supported.joined(separator: ", "))"))
            }
            normalised.defaultLanguage = language.lowercased()
        }
        if let reasons { problems += Self.problems(withReasons: reasons) }
        for (field, texts) in [("page_text", pageText), ("help_text", helpText), ("confirmation_text", confirmationText)] {
            guard let texts else { continue }
            problems += Self.problems(withTexts: texts, field: field)
        }
        if let policy = inboundPolicy, InboundPolicy(rawValue: policy) == nil {
            problems.append(.init(field: "inbound_policy", reason: "must be apply or review"))
        }
        if let keywords {
            for (kind, words) in keywords {
                if KeywordKind(rawValue: kind) == nil {
                    problems.append(.init(field: "keywords", reason: "unknown kind \(kind); use opt_out, opt_in or help"))
                }
                if words.count > Self.maximumKeywords || words.contains(where: { $0.isEmpty || $0.count > 40 }) {
                    problems.append(.init(field: "keywords.\(kind)", reason: "at most \(Self.maximumKeywords) words of 1–40 characters"))
                }
            }
        }
        if let rules = messageRules {
            for (country, rule) in rules.countries {
                if !Self.isCountry(country) {
                    problems.append(.init(field: "message_rules.countries", reason: "\(country) is not an ISO 3166 alpha-2 code"))
                }
                if let code = rule.shortCode, !SMSNumber.isShortCode(code) {
                    problems.append(.init(field: "message_rules.countries.\(country).short_code", reason: "must be 3–8 digits"))
                }
            }
            if rules.texts.values.contains(where: { $0.count > Self.maximumLineTextLength }) {
                problems.append(.init(field: "message_rules.texts", reason: "at most \(Self.maximumLineTextLength) characters a line"))
            }
            var upper = rules
            upper.countries = Dictionary(rules.countries.map { ($0.key.uppercased(), $0.value) }) { first, _ in first }
            normalised.messageRules = upper
        }
        let days = RetentionPeriods.allowedDays
        for (field, value) in [("retain_visits_days", retainVisitsDays), ("retain_reasons_days", retainReasonsDays),
                               ("retain_inbound_days", retainInboundDays)] {
            if let value, !days.contains(value) {
                problems.append(.init(field: field, reason: "must be \(days.lowerBound)–\(days.upperBound) days"))
            }
        }
        return (normalised, problems)
    }

    static func isCountry(_ code: String) -> Bool {
        code.count == 2 && PhoneMetadata.isKnownRegion(code)
    }

    static func problems(withReasons reasons: [Reason]) -> [SettingProblem] {
        var problems: [SettingProblem] = []
        if Reason.offered(reasons).count > maximumReasons {
            problems.append(.init(field: "reasons", reason: "at most \(maximumReasons) reasons that are not retired"))
        }
        if reasons.count > maximumStoredReasons {
            problems.append(.init(field: "reasons", reason: "at most \(maximumStoredReasons) reasons, retired ones included"))
        }
        var seen: Set<String> = []
        for (index, reason) in reasons.enumerated() {
            let field = "reasons[\(index)]"
            if !reason.key.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) || !(1...40).contains(reason.key.count) {
                problems.append(.init(field: "\(field).key", reason: "must be 1–40 characters of a-z, 0-9 and _"))
            }
            if !seen.insert(reason.key).inserted { problems.append(.init(field: "\(field).key", reason: "is used twice")) }
            for (language, label) in reason.labels.sorted(by: { $0.key < $1.key }) {
                if Language.supportedTag(language) != language { problems.append(.init(field: "\(field).label", reason: "unknown language \(language)")) }
                if label.isEmpty || label.count > 200 { problems.append(.init(field: "\(field).label", reason: "must be 1–200 characters")) }
            }
        }
        return problems
    }

    static func problems(withTexts texts: [String: String], field: String) -> [SettingProblem] {
        texts.sorted(by: { $0.key < $1.key }).flatMap { language, text -> [SettingProblem] in
            var problems: [SettingProblem] = []
            if Language.supportedTag(language) != language { problems.append(.init(field: field, reason: "unknown language \(language)")) }
            if text.count > maximumTextLength { problems.append(.init(field: field, reason: "at most \(maximumTextLength) characters")) }
            return problems
        }
    }
}
