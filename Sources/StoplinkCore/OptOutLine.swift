/// A company's rules for the opt-out line of outgoing messages, per destination country.
public struct MessageRules: Codable, Equatable, Sendable {
    public enum LineKind: String, Codable, Sendable {
        /// "Reply STOP…" / "STOP au 36111": for numbers that take replies.
        case keyword
        /// "Stop: stp.example/k3m9x2q7vd".
        case link
    }

    public struct CountryRule: Codable, Equatable, Sendable {
        public var line: LineKind?
        /// The short code STOP is sent to in this country (France: "STOP au 36111").
        public var shortCode: String?

        public init(line: LineKind? = nil, shortCode: String? = nil) {
            self.line = line
            self.shortCode = shortCode
        }
    }

    /// Write links without `https://` to save characters.
    public var shortLinks: Bool
    /// Purposes whose messages get a line; by default marketing only.
    public var purposes: [Purpose]
    /// Rules by ISO country code; countries not listed use the defaults.
    public var countries: [String: CountryRule]
    /// Overrides of the line's text, keyed `COUNTRY:lang`, `COUNTRY`, `kind:lang` or `kind`
    /// (most specific first); `{link}` and `{short_code}` are filled in.
    public var texts: [String: String]

    /// Missing fields take their defaults, so `{}` is the default rule set.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        shortLinks = try container.decodeIfPresent(Bool.self, forKey: .shortLinks) ?? false
        purposes = try container.decodeIfPresent([Purpose].self, forKey: .purposes) ?? [.marketing]
        countries = try container.decodeIfPresent([String: CountryRule].self, forKey: .countries) ?? [:]
        texts = try container.decodeIfPresent([String: String].self, forKey: .texts) ?? [:]
    }

    enum CodingKeys: String, CodingKey { case shortLinks, purposes, countries, texts }

    public init(shortLinks: Bool = false, purposes: [Purpose] = [.marketing], countries: [String: CountryRule] = [:], texts: [String: String] = [:]) {
        self.shortLinks = shortLinks
        self.purposes = purposes
        self.countries = countries
        self.texts = texts
    }
}

/// The opt-out line chosen for one destination, and why.
public struct OptOutLine: Equatable, Sendable {
    public var text: String?
    public var kind: MessageRules.LineKind?
    /// Which rule chose it, for the sender to read (`FR keyword with short code`, `default link`, ...).
    public var rule: String

    /// Default texts per kind and language.
    static let keywordTexts = [
        "en": "Reply STOP to opt out", "nl": "Antwoord STOP om af te melden", "de": "Antworte STOPP zum Abmelden",
        "es": "Responde BAJA para darte de baja", "fr": "STOP au {short_code}", "ru": "Ответьте СТОП для отписки",
    ]
    static let keywordWithoutShortCode = [
        "fr": "Répondez STOP pour vous désabonner",
    ]
    static let linkTexts = [
        "en": "Stop: {link}", "nl": "Afmelden: {link}", "de": "Abmelden: {link}", "es": "Baja: {link}",
        "fr": "STOP: {link}", "ru": "Отписка: {link}",
    ]

    /// Countries where a keyword line is the rule when replies can be received: France wants
    /// STOP to a short code; the US and Canada "Reply STOP".
    static let keywordCountries: Set<String> = ["FR", "US", "CA"]

    /// Chooses the line for a message of `purpose` to `country` in `language`.
    /// `takesReplies`: the company has a number that receives STOP replies.
    public static func choose(
        rules: MessageRules, purpose: Purpose, country: String?, language: String, takesReplies: Bool, link: String
    ) -> OptOutLine {
        guard rules.purposes.contains(purpose) else {
            return OptOutLine(text: nil, kind: nil, rule: "no line for \(purpose.rawValue) messages")
        }
        let region = country?.uppercased() ?? ""
        let countryRule = rules.countries[region]
        let shortCode = countryRule?.shortCode
        let kind: MessageRules.LineKind
        var rule: String
        if let chosen = countryRule?.line {
            kind = chosen
            rule = "\(region) rule: \(chosen.rawValue)"
        } else if keywordCountries.contains(region), takesReplies || shortCode != nil {
            kind = .keyword
            rule = "\(region) default: keyword (replies are received)"
        } else {
            kind = .link
            rule = keywordCountries.contains(region) ? "\(region) default: link (no number takes replies)" : "default: link"
        }
        if kind == .keyword, region == "FR", shortCode == nil {
            rule += ", no French short code set"
        }
        let candidates = ["\(region):\(language)", region, "\(kind.rawValue):\(language)", kind.rawValue]
        var template: String
        if let override = candidates.lazy.compactMap({ rules.texts[$0] }).first {
            template = override
            rule += ", company text"
        } else if kind == .keyword {
            template = (shortCode == nil ? keywordWithoutShortCode[language] : nil) ?? keywordTexts[language] ?? keywordTexts["en"] ?? ""
        } else {
            template = linkTexts[language] ?? linkTexts["en"] ?? ""
        }
        template = template.replacingOccurrences(of: "{link}", with: link)
            .replacingOccurrences(of: "{short_code}", with: shortCode ?? "")
        return OptOutLine(text: template, kind: kind, rule: rule)
    }

    /// Whether a text already seems to carry an opt-out instruction.
    public static func alreadyPresent(in text: String, linkBase: String) -> Bool {
        let words = " " + ReplyReader.normalise(text) + " "
        let markers = [" stop ", " stopp ", " unsubscribe ", " opt out ", " afmelden ", " abmelden ", " baja ", " стоп ", " отписка "]
        return markers.contains(where: words.contains) || text.contains(linkBase)
    }
}
