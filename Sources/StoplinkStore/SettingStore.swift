import Foundation

/// Server-wide settings kept in the database, such as the generated signing secret.
public protocol SettingStore: Sendable {
    /// The value under `key`, storing `makeValue()` first when there is none. Inserted once:
    /// callers racing on a missing key all get the one value that was stored.
    func setting(_ key: String, orInsert makeValue: @Sendable () -> String) async throws -> String
    func replaceSetting(_ key: String, with value: String) async throws
}
