import Foundation
import StoplinkCore

/// `Idempotency-Key`s: reserved while their request runs, then holding its answer for replays.
public protocol IdempotencyStore: Sendable {
    /// The answer saved under (company, key), nil when there is none (also while it is only
    /// reserved, and once it is older than `IdempotencyLifetime.answer` at `at`).
    func idempotentAnswer(companyID: String, key: String, at: Date) async throws -> IdempotentAnswer?
    /// Saves an answer once per (company, key): true for the one caller whose answer was saved,
    /// false for every other, also when they race; the first saved answer is never replaced. A
    /// reservation of the key is completed by the save.
    func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool
    /// Reserves (company, key) for a request about to run, checking and inserting in one step: of
    /// any number of callers racing for a key, also in other processes, exactly one gets
    /// `.reserved`; the others get `.inFlight` while that reservation is open and `.answered` once
    /// its answer is saved. A reservation older than `IdempotencyLifetime.reservation` at `at` (its
    /// process died) and an answer older than `IdempotencyLifetime.answer` count as absent and are
    /// taken over; every expired answer, of any key, is deleted on the way.
    func reserveIdempotencyKey(companyID: String, key: String, requestHash: String, at: Date) async throws -> IdempotencyReservation
    /// Removes the reservation of (company, key) so that a retry can run (its request failed);
    /// a saved answer is never removed.
    func releaseIdempotencyKey(companyID: String, key: String) async throws
}

/// How long the parts of an `Idempotency-Key` last.
public enum IdempotencyLifetime {
    /// A reservation whose request neither answered nor was released (the process stopped) blocks
    /// its key this long; no request of the API runs longer.
    public static let reservation: TimeInterval = 10 * 60
    /// A saved answer is replayed for this long, then forgotten.
    public static let answer: TimeInterval = 24 * 60 * 60
}

/// What reserving an `Idempotency-Key` found.
public enum IdempotencyReservation: Equatable, Sendable {
    /// The key is now the caller's: run the request, then save its answer or release the key.
    case reserved
    /// Another request with this key is running; `requestHash` is the hash of that request.
    case inFlight(requestHash: String)
    /// The key's request already answered.
    case answered(IdempotentAnswer)
}

/// A stored answer to a POST, replayed for a repeat with the same `Idempotency-Key`.
public struct IdempotentAnswer: Equatable, Sendable {
    public var requestHash: String
    public var status: Int
    public var contentType: String
    public var body: Data

    public init(requestHash: String, status: Int, contentType: String, body: Data) {
        self.requestHash = requestHash
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
