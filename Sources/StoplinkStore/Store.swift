import Foundation
import StoplinkCore

/// Companies and their settings.
public protocol CompanyStore: Sendable {
    func createCompany(name: String, defaultCountry: String, defaultLanguage: String, at: Date) async throws -> Company
    func company(id: String) async throws -> Company?
    /// Saves a company's name and settings.
    func updateCompany(_ company: Company) async throws
    func companyCount() async throws -> Int
}

/// Campaigns and the short links issued for them.
public protocol LinkStore: Sendable {
    func createCampaign(companyID: String, ref: String, name: String, purpose: Purpose, at: Date) async throws -> Campaign
    func campaign(companyID: String, ref: String) async throws -> Campaign?
    /// The codes of `phones` in `campaign`, issuing the missing ones in one transaction; a number
    /// that already has a code in the campaign gets the same code again. Results in input order.
    func issueLinks(campaign: Campaign, phones: [PhoneNumber], codeLength: Int, at: Date) async throws -> [Link]
    /// The link of a code in its stored (normalised) form.
    func link(code: String) async throws -> Link?
}

/// The consent ledger and the suppression state derived from it.
public protocol ConsentStore: Sendable {
    /// Writes the ledger row and the suppression in one transaction, or nothing when the number
    /// is already opted out at least as widely.
    func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome
    /// An opt-out through a link's page, refused (nil) when the link has `limit` or more wrong
    /// numbers since `since`: checked in the same write transaction, so parallel guesses cannot
    /// slip past the lockout.
    func recordLinkOptOut(_ request: OptOutRequest, linkID: Int64, wrongNumbersSince since: Date, limit: Int) async throws -> OptOutOutcome?
    func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression?
    func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent]
}

/// Wrong numbers typed on a link's page, for the lockout.
public protocol AttemptStore: Sendable {
    /// Records a wrong number and answers how many there were since `since`, this one included.
    func recordFailedAttempt(linkID: Int64, at: Date, countingSince since: Date) async throws -> Int
    func failedAttempts(linkID: Int64, since: Date) async throws -> Int
}

/// Page views, written in batches.
public protocol VisitStore: Sendable {
    func recordVisits(_ visits: [Visit]) async throws
    func visitCounts(linkID: Int64) async throws -> VisitCounts
}

/// Server-wide settings kept in the database, such as the generated signing secret.
public protocol SettingStore: Sendable {
    /// The value under `key`, storing `makeValue()` first when there is none.
    func setting(_ key: String, orInsert makeValue: @Sendable () -> String) async throws -> String
    func replaceSetting(_ key: String, with value: String) async throws
}

/// Everything the server needs from its database.
public protocol Store: CompanyStore, LinkStore, ConsentStore, AttemptStore, VisitStore, SettingStore, KeyStore, PlatformStore, FeedStore,
    WebhookStore, InboundStore {
    /// Whether the database answers (for `/readyz`).
    func ping() async throws
}

public enum StoreError: Error, Equatable, CustomStringConvertible {
    case companyNotFound(String)
    case campaignExists(String)
    case unsupportedDatabase(String)

    public var description: String {
        switch self {
        case .companyNotFound(let id): "no company with id \(id)"
        case .campaignExists(let ref): "a campaign with ref \(ref) already exists"
        case .unsupportedDatabase(let url): "unsupported database URL \(url): use sqlite:PATH"
        }
    }
}
