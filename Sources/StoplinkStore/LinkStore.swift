import Foundation
import StoplinkCore

/// Campaigns and the short links issued for them.
public protocol LinkStore: Sendable {
    /// Throws `StoreError.campaignExists` when the company already has `ref` (checked atomically
    /// with the insert) and `StoreError.companyNotFound` for an unknown company.
    func createCampaign(companyID: String, ref: String, name: String, purpose: Purpose, at: Date) async throws -> Campaign
    func campaign(companyID: String, ref: String) async throws -> Campaign?
    /// A company's campaigns, oldest first.
    func campaigns(companyID: String) async throws -> [Campaign]
    /// The codes of `phones` in `campaign`, issuing the missing ones; a number that already has
    /// a code in the campaign gets the same code again, also when two callers issue it at once.
    /// Results in input order; codes are unique across all companies. A store with one writer
    /// may commit a long batch in parts, so that opt-outs waiting for the writer are not held
    /// up: a failure can leave the first parts issued, and calling again answers the same codes.
    func issueLinks(campaign: Campaign, phones: [PhoneNumber], codeLength: Int, at: Date) async throws -> [Link]
    /// The link of a code in its stored (normalised) form.
    func link(code: String) async throws -> Link?
}
