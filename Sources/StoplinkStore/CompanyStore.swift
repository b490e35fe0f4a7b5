import Foundation
import StoplinkCore

/// Companies and their settings.
public protocol CompanyStore: Sendable {
    /// Creates a company with a new `co_` id and the default settings.
    func createCompany(name: String, defaultCountry: String, defaultLanguage: String, at: Date) async throws -> Company
    func company(id: String) async throws -> Company?
    /// Saves a company's name and settings; throws `StoreError.companyNotFound` for an unknown id.
    func updateCompany(_ company: Company) async throws
    func companyCount() async throws -> Int
}
