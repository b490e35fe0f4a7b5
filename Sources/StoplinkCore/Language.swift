import Foundation

/// The languages the recipient's pages are written in, and how one is chosen for a visit.
public enum Language {
    public static let supported = ["en", "es", "fr", "de", "nl", "ru"]
    public static let fallback = "en"

    /// `?lang=` first, then the browser's `Accept-Language` by preference, then the company's default.
    public static func choose(query: String?, acceptLanguage: String?, companyDefault: String?) -> String {
        if let query, let match = supportedTag(query) { return match }
        if let acceptLanguage {
            for tag in preferences(acceptLanguage) {
                if tag == "*" { break }
                if let match = supportedTag(tag) { return match }
            }
        }
        if let companyDefault, let match = supportedTag(companyDefault) { return match }
        return fallback
    }

    /// Primary language of a tag (`nl-BE` → `nl`) when it is one Stoplink speaks.
    public static func supportedTag(_ tag: String) -> String? {
        let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
        return supported.contains(primary) ? primary : nil
    }

    /// Tags of an `Accept-Language` header, most preferred first; `q=0` means "not this one".
    static func preferences(_ header: String) -> [String] {
        var weighted: [(tag: String, q: Double, order: Int)] = []
        for (order, item) in header.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, !tag.isEmpty else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                q = Double(parameter.dropFirst(2)) ?? 0
            }
            if q > 0 { weighted.append((tag, q, order)) }
        }
        return weighted.sorted { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }.map(\.tag)
    }
}

extension Language {
    /// The language of the country a number belongs to, when Stoplink speaks it.
    public static func ofCountry(_ region: String?) -> String? {
        guard let region else { return nil }
        return countryLanguages[region.uppercased()]
    }

    static let countryLanguages: [String: String] = {
        var table: [String: String] = [:]
        let groups: [String: [String]] = [
            "nl": ["NL", "SR", "AW", "CW", "SX", "BQ"],
            "de": ["DE", "AT", "CH", "LI"],
            "fr": ["FR", "MC", "LU", "BE", "SN", "CI", "ML", "BF", "NE", "TG", "BJ", "GA", "CG", "CD", "CM", "MG", "HT", "RE", "GP", "MQ", "GF", "PF", "NC"],
            "es": ["ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "DO", "HN", "PY", "SV", "NI", "CR", "PA", "UY", "PR", "GQ"],
            "ru": ["RU", "BY", "KZ", "KG"],
        ]
        for (language, regions) in groups {
            for region in regions { table[region] = language }
        }
        return table
    }()
}
