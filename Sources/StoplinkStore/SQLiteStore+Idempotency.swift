import Foundation
import GRDB
import StoplinkCore

/// `IdempotencyStore` on SQLite: one row per (company, key), a reservation until its answer is saved.
extension SQLiteStore {
    public func idempotentAnswer(companyID: String, key: String, at: Date) async throws -> IdempotentAnswer? {
        try await writer.read { db in
            guard let row = try Self.idempotencyRow(db, companyID: companyID, key: key),
                  let answeredAt: Int64 = row["answered_at"], answeredAt >= Self.answersExpire(at) else { return nil }
            return Self.answer(row)
        }
    }

    public func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO idempotency_keys (company_id, key, request_hash, reserved_at, status, content_type, body, answered_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (company_id, key) DO UPDATE SET
                        request_hash = excluded.request_hash, status = excluded.status, content_type = excluded.content_type,
                        body = excluded.body, answered_at = excluded.answered_at
                    WHERE status IS NULL
                    """,
                arguments: [companyID, key, answer.requestHash, Millis.from(at), answer.status, answer.contentType, answer.body, Millis.from(at)]
            )
            return db.changesCount == 1
        }
    }

    public func reserveIdempotencyKey(companyID: String, key: String, requestHash: String, at: Date) async throws -> IdempotencyReservation {
        try await write { db in
            let staleBefore = Millis.from(at.addingTimeInterval(-IdempotencyLifetime.reservation))
            // The sweep: an index range on answered_at, nearly always empty.
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE answered_at < ?", arguments: [Self.answersExpire(at)])
            // Inserts, or takes over a reservation whose request never finished; a live one or an answer stays.
            try db.execute(
                sql: """
                    INSERT INTO idempotency_keys (company_id, key, request_hash, reserved_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (company_id, key) DO UPDATE SET request_hash = excluded.request_hash, reserved_at = excluded.reserved_at
                    WHERE status IS NULL AND reserved_at < ?
                    """,
                arguments: [companyID, key, requestHash, Millis.from(at), staleBefore]
            )
            if db.changesCount == 1 { return .reserved }
            guard let row = try Self.idempotencyRow(db, companyID: companyID, key: key) else {
                // The insert met a row in this same transaction, so it is there; not finding it means a broken file.
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "idempotency key row vanished inside its transaction")
            }
            return Self.answer(row).map(IdempotencyReservation.answered) ?? .inFlight(requestHash: row["request_hash"])
        }
    }

    public func releaseIdempotencyKey(companyID: String, key: String) async throws {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM idempotency_keys WHERE company_id = ? AND key = ? AND status IS NULL", arguments: [companyID, key]
            )
        }
    }

    /// Answers saved before this (Unix milliseconds) are no longer replayed.
    private static func answersExpire(_ now: Date) -> Int64 {
        Millis.from(now.addingTimeInterval(-IdempotencyLifetime.answer))
    }

    private static func idempotencyRow(_ db: Database, companyID: String, key: String) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM idempotency_keys WHERE company_id = ? AND key = ?"), arguments: [companyID, key])
    }

    /// The saved answer of a row; nil while the row is only a reservation.
    private static func answer(_ row: Row) -> IdempotentAnswer? {
        guard let status: Int = row["status"], let contentType: String = row["content_type"], let body: Data = row["body"] else {
            return nil
        }
        return IdempotentAnswer(requestHash: row["request_hash"], status: status, contentType: contentType, body: body)
    }
}
