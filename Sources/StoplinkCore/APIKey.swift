import Crypto
import Foundation

/// API keys: `sk_` then 32 Crockford base32 characters (160 random bits). The first 8 of those
/// are the key's public prefix, by which it is found; only a SHA-256 hash of the whole key is kept.
public enum APIKey {
    public static let marker = "sk_"
    static let randomLength = 32
    static let prefixLength = 8

    public static func generate() -> String {
        marker + ShortCode.generate(length: 16) + ShortCode.generate(length: 16)
    }

    /// The public prefix (`sk_` and 8 characters) of a well-formed key, or nil.
    public static func prefix(of key: String) -> String? {
        guard key.hasPrefix(marker), key.count == marker.count + randomLength,
              key.dropFirst(marker.count).allSatisfy({ ShortCode.alphabet.contains($0) }) else { return nil }
        return String(key.prefix(marker.count + prefixLength))
    }

    public static func hash(_ key: String) -> String {
        Hex.encode(SHA256.hash(data: Data(key.utf8)))
    }

    /// Compares two hex hashes in time that does not depend on where they differ: swift-crypto
    /// compares digests in constant time, and equal digests mean equal hashes.
    public static func hashesMatch(_ a: String, _ b: String) -> Bool {
        SHA256.hash(data: Data(a.utf8)) == SHA256.hash(data: Data(b.utf8))
    }
}
