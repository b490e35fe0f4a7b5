import Crypto
import Foundation

/// Every generated id and secret, from the system's CSPRNG, in one place: the prefix tells a
/// reader (and a secret scanner) what a value is. API keys (`sk_`) live in `APIKey`, with their
/// prefix and hash.
public enum Identifiers {
    public static let companyPrefix = "co_"
    public static let webhookEndpointPrefix = "we_"
    public static let webhookSecretPrefix = "whsec_"
    static let companyRandomLength = 12
    static let webhookEndpointRandomLength = 16
    static let webhookSecretBytes = 32

    /// `co_` and 12 Crockford base32 characters (60 bits).
    public static func companyID() -> String {
        companyPrefix + ShortCode.generate(length: companyRandomLength)
    }

    /// `we_` and 16 Crockford base32 characters (80 bits).
    public static func webhookEndpointID() -> String {
        webhookEndpointPrefix + ShortCode.generate(length: webhookEndpointRandomLength)
    }

    /// `whsec_` and base64 of 32 random bytes, as the Standard Webhooks specification has them.
    public static func webhookSecret() -> String {
        webhookSecretPrefix + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}

extension Identifiers {
    public static let userPrefix = "us_"

    /// `us_` and 16 Crockford base32 characters (80 bits).
    public static func userID() -> String {
        userPrefix + ShortCode.generate(length: 16)
    }
}
