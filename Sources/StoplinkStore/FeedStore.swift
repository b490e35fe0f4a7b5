import Foundation
import StoplinkCore

/// The feed of consent events, read by sequence number.
///
/// The feed never skips an event: sequence numbers grow and become visible in commit order, so
/// once a reader has seen `seq` n, no event with a smaller `seq` can appear later. A reader that
/// pages with `after` = the last `seq` it saw, while others write, gets every event exactly once
/// and in order. (SQLite has one writer, so this holds by construction; a store with parallel
/// writers must serialise the assignment of `seq` with the commit, or hide numbers above the
/// oldest transaction still open.)
public protocol FeedStore: Sendable {
    /// The newest sequence number of a company's events (0 when it has none).
    func feedHead(companyID: String) async throws -> Int64
    /// Events with `after < seq <= upTo`, oldest first, at most `limit`.
    func events(companyID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ConsentEvent]
    /// Current suppressions ordered by number, after `afterPhone`, at most `limit`.
    func suppressions(companyID: String, afterPhone: String?, limit: Int) async throws -> [Suppression]
}
