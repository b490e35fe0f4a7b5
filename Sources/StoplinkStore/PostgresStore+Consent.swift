import Foundation
import PostgresNIO
import StoplinkCore

/// `ConsentStore` on PostgreSQL.
extension PostgresStore {
    public func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome {
        throw PostgresStore.unimplemented(#function)
    }

    public func recordOptIn( companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, actor: ConsentActor?, at: Date ) async throws -> ConsentEvent? {
        throw PostgresStore.unimplemented(#function)
    }

    public func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression? {
        throw PostgresStore.unimplemented(#function)
    }

    public func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent] {
        throw PostgresStore.unimplemented(#function)
    }

    public func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult] {
        throw PostgresStore.unimplemented(#function)
    }

    public func suppressions(companyID: String, matching filter: SuppressionFilter, after: SuppressionPosition?, limit: Int) async throws -> [Suppression] {
        throw PostgresStore.unimplemented(#function)
    }

    public func suppressionCount(companyID: String, matching filter: SuppressionFilter) async throws -> Int {
        throw PostgresStore.unimplemented(#function)
    }

}

