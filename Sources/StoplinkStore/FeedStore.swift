import Foundation
import StoplinkCore

/// The feed of consent events, read by each company's own sequence number.
///
/// Every company numbers its events 1, 2, 3, ... without gaps (`ConsentEvent.seq`), so no
/// number says anything about other companies. The feed never skips an event: numbers grow and
/// become visible in commit order, so once a reader has seen `seq` n, no event with a smaller
/// `seq` can appear later. A reader that pages with `after` = the last `seq` it saw, while others
/// write, gets every event exactly once and in order. (SQLite has one writer, so this holds by
/// construction; a store with parallel writers must take the company's next number under a lock
/// held until its transaction commits.)
public protocol FeedStore: Sendable {
    /// The newest sequence number of a company's events (0 when it has none).
    func feedHead(companyID: String) async throws -> Int64
    /// Events with `after < seq <= upTo`, oldest first, at most `limit`.
    func events(companyID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ConsentEvent]
    /// The company's `seq` of its newest event whose ledger row id (`ConsentEvent.rowID`) is at
    /// most `legacySeq`: feed cursors given out before events were numbered per company held
    /// that row id, and still resume where they stopped.
    func feedPosition(companyID: String, legacySeq: Int64) async throws -> Int64
    /// Current suppressions ordered by number, after `afterPhone`, at most `limit`.
    func suppressions(companyID: String, afterPhone: String?, limit: Int) async throws -> [Suppression]
}
