import Foundation
import StoplinkCore

/// API keys, looked up by their public prefix; only a hash of each key is kept.
public protocol KeyStore: Sendable {
    /// Creates a key (`APIKey.generate`) with a prefix no other key has; the key itself is
    /// returned once and never stored.
    func createKey(companyID: String, name: String, at: Date) async throws -> (key: String, stored: StoredAPIKey)
    func key(prefix: String) async throws -> StoredAPIKey?
    /// A company's keys, oldest first.
    func keys(companyID: String) async throws -> [StoredAPIKey]
    /// Revokes a key; nil when there is no such key (of that company, when one is given).
    /// Revoking again keeps the first revocation time.
    func revokeKey(prefix: String, companyID: String?, at: Date) async throws -> StoredAPIKey?
    func touchKey(prefix: String, at: Date) async throws
}

/// A stored API key; the key itself is never stored, only its hash.
public struct StoredAPIKey: Equatable, Sendable {
    public var prefix: String
    public var companyID: String
    public var hash: String
    public var name: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}
