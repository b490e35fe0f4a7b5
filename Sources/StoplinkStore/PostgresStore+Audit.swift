import Foundation
import PostgresNIO
import StoplinkCore

/// `AuditStore` on PostgreSQL.
extension PostgresStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func auditLog(companyID: String, limit: Int) async throws -> [AuditEntry] {
        throw PostgresStore.unimplemented(#function)
    }

}

