import Foundation
import StoplinkCore
import StoplinkStore

/// The demo data `stoplink serve --demo` creates so a newcomer can try the page at once.
public enum Demo {
    public static let companyName = "Demo Company"
    public static let campaignRef = "demo"
    public static let phone = "+31612345678"

    /// On an empty database, creates the demo company, campaign and link; on a database that
    /// already has the demo, finds its link again. Answers nil when the database holds other data.
    public static func prepare(store: any Store, config: AppConfig, clock: any WallClock) async throws -> String? {
        let demoID = try await store.setting("demo_company_id") { "" }
        if !demoID.isEmpty, let campaign = try await store.campaign(companyID: demoID, ref: campaignRef) {
            let links = try await store.issueLinks(
                campaign: campaign, phones: [PhoneNumber(trustedE164: phone)], codeLength: config.codeLength, at: clock.now()
            )
            return links.first.map { config.url(of: $0.code) }
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
        try await store.replaceSetting("demo_company_id", with: company.id)
        return links.first.map { config.url(of: $0.code) }
    }
}
