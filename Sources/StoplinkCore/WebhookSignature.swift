import Crypto
import Foundation

/// Signatures of the Standard Webhooks specification: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the secret (the base64 after `whsec_`).
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    public enum SignatureError: Error, Equatable {
        case malformedSecret
    }

    /// The key bytes of a `whsec_...` secret.
    public static func key(of secret: String) throws(SignatureError) -> Data {
        guard let key = SignatureHeaders.webhookSecretKey(secret) else { throw .malformedSecret }
        return key
    }

    /// `v1,<base64>` for one secret.
    public static func sign(id: String, timestamp: Int, body: Data, secret: String) throws(SignatureError) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: SignatureHeaders.webhookMessage(id: id, timestamp: timestamp, body: body), using: SymmetricKey(data: try key(of: secret)))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per secret, separated by spaces.
    public static func header(id: String, timestamp: Int, body: Data, secrets: [String]) throws(SignatureError) -> String {
        var signatures: [String] = []
        for secret in secrets { signatures.append(try sign(id: id, timestamp: timestamp, body: body, secret: secret)) }
        return signatures.joined(separator: " ")
    }

    /// Whether any signature in `header` is the one `secret` makes, and the timestamp is within
    /// `tolerance` of `now` (replays of old messages are refused).
    public static func verify(
        header: String, id: String, timestamp: Int, body: Data, secret: String, now: Date, tolerance: TimeInterval = 300
    ) -> Bool {
        guard abs(now.timeIntervalSince1970 - TimeInterval(timestamp)) <= tolerance,
              let key = try? SymmetricKey(data: key(of: secret)) else { return false }
        let signed = SignatureHeaders.webhookMessage(id: id, timestamp: timestamp, body: body)
        // swift-crypto compares in constant time.
        return SignatureHeaders.webhookSignatures(header).contains { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: signed, using: key) }
    }
}
