import Foundation
import PostgresNIO
import StoplinkCore

/// `AuditStore` on PostgreSQL.
extension PostgresStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        try await write { connection in
            try await connection.execute(
                """
                INSERT INTO audit_log (company_id, user_id, user_email, action, detail, at)
                VALUES (\(entry.companyID), \(entry.userID), \(entry.userEmail), \(entry.action), \(entry.detail), \(Millis.from(entry.at)))
                """,
                logger: logger
            )
        }
    }

    public func auditLog(companyID: String, limit: Int) async throws -> [AuditEntry] {
        try await read { connection in
            try await connection.all(
                "SELECT * FROM audit_log WHERE company_id = \(companyID) ORDER BY id DESC LIMIT \(Int64(limit))", logger: logger
            ) { row in
                AuditEntry(
                    companyID: try row.value("company_id"), userID: try row.value("user_id"), userEmail: try row.value("user_email"),
                    action: try row.value("action"), detail: try row.value("detail"), at: try row.date("at")
                )
            }
        }
    }
}
