import Crypto
import Foundation

/// `X-Twilio-Signature`: base64 HMAC-SHA1, under the account's auth token, of the full request
/// URL followed by every POST parameter name and value, sorted by name.
public enum TwilioSignature {
    public static func compute(authToken: String, url: String, parameters: [(String, String)]) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: message(url: url, parameters: parameters), using: SymmetricKey(data: Data(authToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// What is signed: the URL, then every parameter's name and value, sorted by name.
    static func message(url: String, parameters: [(String, String)]) -> Data {
        var message = url
        for (name, value) in parameters.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            message += name + value
        }
        return Data(message.utf8)
    }

    /// Checks `signature` against `url` as configured, and against the same URL with its default
    /// port written out or left off (Twilio signs the URL as it called it).
    public static func isValid(_ signature: String, authToken: String, url: String, parameters: [(String, String)]) -> Bool {
        guard let mac = Data(base64Encoded: signature) else { return false }
        let key = SymmetricKey(data: Data(authToken.utf8))
        return urlVariants(url).contains { candidate in
            // swift-crypto compares in constant time.
            HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: message(url: candidate, parameters: parameters), using: key)
        }
    }

    static func urlVariants(_ url: String) -> [String] {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return [url] }
        let defaultPort = scheme == "https" ? 443 : 80
        if components.port == defaultPort {
            components.port = nil
        } else if components.port == nil {
            components.port = defaultPort
        } else {
            return [url]
        }
        return [url, components.string ?? url]
    }
}

/// Deadlines counted in business days (Monday to Friday; public holidays are not known here).
public enum BusinessDays {
    public static func add(_ days: Int, to date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        var result = date
        var remaining = days
        while remaining > 0 {
            result = calendar.date(byAdding: .day, value: 1, to: result) ?? result.addingTimeInterval(86_400)
            if !calendar.isDateInWeekend(result) { remaining -= 1 }
        }
        return result
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
