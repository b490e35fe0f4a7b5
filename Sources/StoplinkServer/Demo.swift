import Foundation
import StoplinkCore
import StoplinkStore

/// The demo data `stoplink serve --demo` creates so a newcomer can try the page at once.
public enum Demo {
    public static let companyName = "Demo Company"
    public static let campaignRef = "demo"
    public static let phone = "+31612345678"
    /// The demo owner's dashboard login.
    public static let ownerEmail = "owner@demo.example"

    public struct Prepared: Sendable {
        public var link: String
        /// The new key at the first start; nil afterwards, when only its hash is kept.
        public var apiKey: String?
        public var companyID: String
        /// The demo owner's password at the first start; nil afterwards, when only its hash is kept.
        public var ownerPassword: String?

        /// What follows `Demo API key: `: the key, or where it went.
        public var apiKeyLine: String {
            apiKey ?? "shown once, at the first start (stoplink key create --company \(companyID) makes another)"
        }

        /// What follows `Demo login: `: the email and password, or where the password went.
        public var loginLine: String {
            guard let ownerPassword else {
                return "\(ownerEmail) (password shown once, at the first start; "
                    + "stoplink user reset-password --company \(companyID) --email \(ownerEmail) makes another)"
            }
            return "\(ownerEmail) \(ownerPassword)"
        }
    }

    /// On an empty database, creates the demo company, campaign, link, API key and owner login, and
    /// fills the company with earlier campaigns, opt-outs and a review item (`DemoData`); on
    /// a database that already has the demo, finds them again. Answers nil when the database holds
    /// other data. The demo key and password are stored as every other, by their hash only: they
    /// are shown at the first start.
    public static func prepare(store: any Store, config: AppConfig, clock: any WallClock) async throws -> Prepared? {
        let demoID = try await store.setting("demo_company_id") { "" }
        if !demoID.isEmpty, let campaign = try await store.campaign(companyID: demoID, ref: campaignRef) {
            let links = try await store.issueLinks(
                campaign: campaign, phones: [PhoneNumber(trustedE164: phone)], codeLength: config.codeLength, at: clock.now()
            )
            return links.first.map { Prepared(link: config.url(of: $0.code), apiKey: nil, companyID: demoID) }
        }
        guard try await store.companyCount() == 0 else { return nil }
        let now = clock.now()
        let company = try await store.createCompany(name: companyName, defaultCountry: "NL", defaultLanguage: "en", at: now)
        let campaign = try await store.createCampaign(
            companyID: company.id, ref: campaignRef, name: "Demo campaign", purpose: .marketing, at: now
        )
        let links = try await store.issueLinks(
            campaign: campaign, phones: [PhoneNumber(trustedE164: phone)], codeLength: config.codeLength, at: now
        )
        try await DemoData.fill(store: store, companyID: company.id, codeLength: config.codeLength, now: now)
        let (key, _) = try await store.createKey(companyID: company.id, name: "demo", at: now)
        let password = Password.generate()
        let hasher = PasswordHasher(cost: config.bcryptCost)
        _ = try await store.createUser(companyID: company.id, email: ownerEmail, role: .owner, passwordHash: hasher.hash(password), at: now)
        try await store.replaceSetting("demo_company_id", with: company.id)
        return links.first.map {
            Prepared(link: config.url(of: $0.code), apiKey: key, companyID: company.id, ownerPassword: password)
        }
    }
}
