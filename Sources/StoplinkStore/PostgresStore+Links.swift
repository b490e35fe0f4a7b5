import Foundation
import PostgresNIO
import StoplinkCore

/// `LinkStore` on PostgreSQL.
extension PostgresStore {
    public func createCampaign(companyID: String, ref: String, name: String, purpose: Purpose, at: Date) async throws -> Campaign {
        throw PostgresStore.unimplemented(#function)
    }

    public func campaign(companyID: String, ref: String) async throws -> Campaign? {
        throw PostgresStore.unimplemented(#function)
    }

    public func campaigns(companyID: String) async throws -> [Campaign] {
        throw PostgresStore.unimplemented(#function)
    }

    public func issueLinks(campaign: Campaign, phones: [PhoneNumber], codeLength: Int, at: Date) async throws -> [Link] {
        throw PostgresStore.unimplemented(#function)
    }

    public func link(code: String) async throws -> Link? {
        throw PostgresStore.unimplemented(#function)
    }

}

/// Row decoders other parts share.
extension PostgresStore {
    /// A `campaigns` row (every column of the table, read by name).
    static func campaign(_ row: PostgresRandomAccessRow) throws -> Campaign {
        throw PostgresStore.unimplemented(#function)
    }
}
