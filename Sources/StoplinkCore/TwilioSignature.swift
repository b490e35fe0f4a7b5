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
