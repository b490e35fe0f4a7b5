import Foundation
import GRDB
import StoplinkCore

/// `IdempotencyStore` on SQLite.
extension SQLiteStore {
    public func idempotentAnswer(companyID: String, key: String) async throws -> IdempotentAnswer? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM idempotent_answers WHERE company_id = ? AND key = ?", arguments: [companyID, key]
            ).map { row in
                IdempotentAnswer(requestHash: row["request_hash"], status: row["status"], contentType: row["content_type"], body: row["body"])
            }
        }
    }

    public func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO idempotent_answers (company_id, key, request_hash, status, content_type, body, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (company_id, key) DO NOTHING
                    """,
                arguments: [companyID, key, answer.requestHash, answer.status, answer.contentType, answer.body, Millis.from(at)]
            )
            return db.changesCount == 1
        }
    }
}
