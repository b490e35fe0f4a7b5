import Crypto
import Foundation

/// `X-Twilio-Signature`: base64 HMAC-SHA1, under the account's auth token, of the full request
/// URL followed by every POST parameter name and value, sorted by name. The reading of the
/// header and the signed text are `SignatureHeaders`'.
public enum TwilioSignature {
    public static func compute(authToken: String, url: String, parameters: [(String, String)]) -> String {
        let message = SignatureHeaders.twilioMessage(url: url, parameters: parameters)
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Data(authToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Checks `signature` against `url` as configured, and against the same URL with its default
    /// port written out or left off.
    public static func isValid(_ signature: String, authToken: String, url: String, parameters: [(String, String)]) -> Bool {
        guard let mac = SignatureHeaders.twilioSignature(signature) else { return false }
        let key = SymmetricKey(data: Data(authToken.utf8))
        return SignatureHeaders.twilioURLVariants(url).contains { candidate in
            // swift-crypto compares in constant time.
            HMAC<Insecure.SHA1>.isValidAuthenticationCode(
                mac, authenticating: SignatureHeaders.twilioMessage(url: candidate, parameters: parameters), using: key
            )
        }
    }
}
