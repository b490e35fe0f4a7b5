import Foundation
import StoplinkCore

/// API keys, looked up by their public prefix.
public protocol KeyStore: Sendable {
    func createKey(companyID: String, name: String, at: Date) async throws -> (key: String, stored: StoredAPIKey)
    func key(prefix: String) async throws -> StoredAPIKey?
    func keys(companyID: String) async throws -> [StoredAPIKey]
    /// Revokes a key; nil when there is no such key (of that company, when one is given).
    func revokeKey(prefix: String, companyID: String?, at: Date) async throws -> StoredAPIKey?
    func touchKey(prefix: String, at: Date) async throws
}

/// What the sending-platform API reads and writes beyond the recipient flow.
public protocol PlatformStore: Sendable {
    func campaigns(companyID: String) async throws -> [Campaign]
    /// The current state of each number, in input order, read in one transaction.
    func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult]
    /// Opts a number back in; nil (and nothing written) when it was not opted out.
    func recordOptIn(companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, at: Date) async throws -> ConsentEvent?
    /// Adds opt-outs in one transaction; a number already opted out is counted, never changed.
    func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope) async throws -> ImportCounts
    func stats(campaign: Campaign, reasonTextLimit: Int, reasonTextsBefore: Int64?) async throws -> CampaignStats
    func idempotentAnswer(companyID: String, key: String) async throws -> IdempotentAnswer?
    /// Saves an answer; false when another request saved one under the same key first.
    func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool
}
