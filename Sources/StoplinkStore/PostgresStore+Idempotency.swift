import Foundation
import PostgresNIO
import StoplinkCore

/// `IdempotencyStore` on PostgreSQL: one row per (company, key), a reservation until its answer
/// is saved. `INSERT ... ON CONFLICT` decides every race on the primary key: a racer waits for
/// the row's other writer to commit, then sees its row.
extension PostgresStore {
    public func idempotentAnswer(companyID: String, key: String, at: Date) async throws -> IdempotentAnswer? {
        try await read { connection in
            let found = try await connection.first(
                """
                SELECT * FROM idempotency_keys
                WHERE company_id = \(companyID) AND key = \(key) AND answered_at >= \(Self.answersExpire(at))
                """,
                logger: logger, Self.answer
            )
            return found ?? nil
        }
    }

    public func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool {
        try await write { connection in
            let saved = try await connection.count(
                """
                INSERT INTO idempotency_keys (company_id, key, request_hash, reserved_at, status, content_type, body, answered_at)
                VALUES (\(companyID), \(key), \(answer.requestHash), \(Millis.from(at)), \(Int32(answer.status)), \(answer.contentType),
                        \(answer.body), \(Millis.from(at)))
                ON CONFLICT (company_id, key) DO UPDATE SET
                    request_hash = excluded.request_hash, status = excluded.status, content_type = excluded.content_type,
                    body = excluded.body, answered_at = excluded.answered_at
                WHERE idempotency_keys.status IS NULL
                RETURNING 1
                """,
                logger: logger
            )
            return saved == 1
        }
    }

    public func reserveIdempotencyKey(companyID: String, key: String, requestHash: String, at: Date) async throws -> IdempotencyReservation {
        try await write { connection in
            let staleBefore = Millis.from(at.addingTimeInterval(-IdempotencyLifetime.reservation))
            // The sweep: an index range on answered_at, nearly always empty.
            try await connection.execute(
                "DELETE FROM idempotency_keys WHERE answered_at < \(Self.answersExpire(at))", logger: logger
            )
            // Inserts, or takes over a reservation whose request never finished; a live one or an
            // answer stays. Either way the row is now locked by this transaction (ON CONFLICT DO
            // UPDATE locks the row it meets even when its WHERE refuses the update), so the read
            // below finds it as it is.
            let reserved = try await connection.count(
                """
                INSERT INTO idempotency_keys (company_id, key, request_hash, reserved_at)
                VALUES (\(companyID), \(key), \(requestHash), \(Millis.from(at)))
                ON CONFLICT (company_id, key) DO UPDATE SET request_hash = excluded.request_hash, reserved_at = excluded.reserved_at
                WHERE idempotency_keys.status IS NULL AND idempotency_keys.reserved_at < \(staleBefore)
                RETURNING 1
                """,
                logger: logger
            )
            if reserved == 1 { return .reserved }
            let row = try await connection.first(
                "SELECT * FROM idempotency_keys WHERE company_id = \(companyID) AND key = \(key)", logger: logger
            ) { row in (requestHash: try row.value("request_hash", as: String.self), answer: try Self.answer(row)) }
            guard let row else {
                throw StoreError.unknownStoredValue(column: "idempotency_keys.key", value: "a locked row vanished")
            }
            return row.answer.map(IdempotencyReservation.answered) ?? .inFlight(requestHash: row.requestHash)
        }
    }

    public func releaseIdempotencyKey(companyID: String, key: String) async throws {
        try await write { connection in
            try await connection.execute(
                "DELETE FROM idempotency_keys WHERE company_id = \(companyID) AND key = \(key) AND status IS NULL", logger: logger
            )
        }
    }

    /// Answers saved before this (Unix milliseconds) are no longer replayed.
    private static func answersExpire(_ now: Date) -> Int64 {
        Millis.from(now.addingTimeInterval(-IdempotencyLifetime.answer))
    }

    /// The saved answer of a row; nil while the row is only a reservation.
    private static func answer(_ row: PostgresRandomAccessRow) throws -> IdempotentAnswer? {
        guard let status = try row.value("status", as: Int32?.self), let contentType = try row.value("content_type", as: String?.self),
              let body = try row.value("body", as: Data?.self) else {
            return nil
        }
        return IdempotentAnswer(
            requestHash: try row.value("request_hash"), status: Int(status), contentType: contentType, body: body
        )
    }
}
