import Foundation
import StoplinkCore

/// Answers kept for `Idempotency-Key` replays.
public protocol IdempotencyStore: Sendable {
    func idempotentAnswer(companyID: String, key: String) async throws -> IdempotentAnswer?
    /// Saves an answer once per (company, key): true for the one caller whose answer was saved,
    /// false for every other, also when they race; the first saved answer is never replaced.
    func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool
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
