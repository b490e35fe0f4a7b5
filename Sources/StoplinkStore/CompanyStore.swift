import Foundation
import StoplinkCore

/// Companies and their settings.
public protocol CompanyStore: Sendable {
    /// Creates a company with a new `co_` id and the default settings.
    func createCompany(name: String, defaultCountry: String, defaultLanguage: String, at: Date) async throws -> Company
    func company(id: String) async throws -> Company?
    /// Saves a company's name and settings; throws `StoreError.companyNotFound` for an unknown id.
    func updateCompany(_ company: Company) async throws
    /// Reads a company, lets `change` edit it and saves the result, as one transaction: changes
    /// made at the same time are applied one after the other, none lost. When `change` throws,
    /// nothing is saved and the error is rethrown. Throws `StoreError.companyNotFound` for an
    /// unknown id.
    func updateCompany<T: Sendable>(id: String, _ change: @Sendable (inout Company) throws -> T) async throws -> T
    func companyCount() async throws -> Int
}
