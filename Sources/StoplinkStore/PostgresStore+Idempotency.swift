import Foundation
import PostgresNIO
import StoplinkCore

/// `IdempotencyStore` on PostgreSQL.
extension PostgresStore {
    public func idempotentAnswer(companyID: String, key: String, at: Date) async throws -> IdempotentAnswer? {
        throw PostgresStore.unimplemented(#function)
    }

    public func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool {
        throw PostgresStore.unimplemented(#function)
    }

    public func reserveIdempotencyKey(companyID: String, key: String, requestHash: String, at: Date) async throws -> IdempotencyReservation {
        throw PostgresStore.unimplemented(#function)
    }

    public func releaseIdempotencyKey(companyID: String, key: String) async throws {
        throw PostgresStore.unimplemented(#function)
    }

}

