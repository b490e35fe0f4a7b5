import Crypto
import Foundation

/// The stateless token in a form: proves the form came from this server for this code (the
/// recipient's page) or this session (the dashboard), recently.
/// `issued-at-seconds.base64url(HMAC-SHA256(key, "form:v1:code:issued-at"))`, where the key is
/// derived from the secret and the purpose, so a token of one purpose never passes as another's.
public struct FormToken: Sendable {
    /// What the forms are for; each purpose signs with its own key.
    public enum Purpose: String, Sendable {
        /// The recipient's opt-out form (the key every existing token was signed with).
        case recipientPage = "stoplink form token"
        /// Every dashboard form (the CSRF token, bound to the session).
        case dashboard = "stoplink dashboard form token"
    }

    public static let lifetime: TimeInterval = 4 * 60 * 60
    /// Clocks of several servers may disagree a little.
    static let allowedSkew: TimeInterval = 5 * 60

    /// Derived from the server secret and the purpose so the form key differs from every other use of it.
    private let keyBytes: Data

    public init(secret: some DataProtocol, purpose: Purpose = .recipientPage) {
        keyBytes = Data(SHA256.hash(data: Data(purpose.rawValue.utf8) + Data(secret)))
    }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public func issue(code: String, at now: Date) -> String {
        let issued = Int(now.timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message(code: code, issued: issued).utf8), using: key)
        return "\(issued).\(Base64URL.encode(Data(mac)))"
    }

    public func isValid(_ token: String, code: String, at now: Date) -> Bool {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let issued = Int(parts[0]), let mac = Base64URL.decode(String(parts[1])) else {
            return false
        }
        let age = now.timeIntervalSince1970 - TimeInterval(issued)
        guard age <= Self.lifetime, age >= -Self.allowedSkew else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(message(code: code, issued: issued).utf8), using: key)
    }

    private func message(code: String, issued: Int) -> String {
        "form:v1:\(code):\(issued)"
    }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encoded directly from the alphabet: every page shows a token, and going through
    /// Foundation's base64 and three string replacements cost more than the HMAC itself.
    public static func encode(_ data: Data) -> String {
        let bytes = [UInt8](data)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] as [UInt32] { out.append(alphabet[Int(value >> shift & 63)]) }
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let value = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
        case 2:
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ string: String) -> Data? {
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
