import Foundation
import StoplinkCore

/// Page views, written in batches. Counts include visits a purge removed (`RetentionStore`).
public protocol VisitStore: Sendable {
    func recordVisits(_ visits: [Visit]) async throws
    func visitCounts(linkID: Int64) async throws -> VisitCounts
}
