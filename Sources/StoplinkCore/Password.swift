import Foundation
import HummingbirdBcrypt

/// Dashboard passwords: what is accepted, how one is generated, and how it is hashed (bcrypt).
public enum Password {
    /// Shorter passwords are refused; a generated one is longer still.
    public static let minimumLength = 12
    /// bcrypt reads only the first 72 bytes: a longer password would be silently shortened.
    public static let maximumBytes = 72
    static let generatedLength = 24

    /// A new password: 24 Crockford base32 characters (120 random bits) in groups of four.
    public static func generate() -> String {
        let characters = Array(ShortCode.generate(length: generatedLength / 2) + ShortCode.generate(length: generatedLength / 2))
        return stride(from: 0, to: characters.count, by: 4).map { String(characters[$0..<min($0 + 4, characters.count)]) }
            .joined(separator: "-")
    }

    /// Why `password` cannot be used, or nil when it can.
    public static func problem(_ password: String) -> String? {
        if password.count < minimumLength { return "the password must be at least \(minimumLength) characters" }
        if password.utf8.count > maximumBytes { return "the password must be at most \(maximumBytes) bytes" }
        return nil
    }
}

/// Hashes and checks passwords with bcrypt at a fixed cost (log2 rounds).
public struct PasswordHasher: Sendable {
    /// What production uses; tests may go lower to run faster.
    public static let defaultCost = 12
    public static let allowedCosts = 4...31

    public let cost: Int

    public init(cost: Int = defaultCost) {
        self.cost = min(max(cost, Self.allowedCosts.lowerBound), Self.allowedCosts.upperBound)
    }

    public func hash(_ password: String) -> String {
        Bcrypt.hash(password, cost: UInt8(cost))
    }

    public func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }

    /// A hash of no one's password at this cost: a login that names an unknown email checks it,
    /// so the answer takes as long as for a known one.
    public func decoyHash() -> String {
        hash(Password.generate())
    }
}
