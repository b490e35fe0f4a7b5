import Foundation
import StoplinkCore

/// Wrong numbers typed on a link's page, and the opt-out they can lock.
public protocol LockoutStore: Sendable {
    /// Records a wrong number and answers how many there were since `since`, this one included,
    /// counted in the same transaction (parallel wrong numbers each see a distinct count).
    func recordFailedAttempt(linkID: Int64, at: Date, countingSince since: Date) async throws -> Int
    func failedAttempts(linkID: Int64, since: Date) async throws -> Int
    /// An opt-out through a link's page, refused (nil) when the link has `limit` or more wrong
    /// numbers since `since`: the count is checked in the opt-out's own transaction, so a wrong
    /// number recorded at the same moment is either counted or comes after the opt-out.
    func recordLinkOptOut(_ request: OptOutRequest, linkID: Int64, wrongNumbersSince since: Date, limit: Int) async throws -> OptOutOutcome?
}
