import Foundation
import StoplinkCore

/// Opt-outs made elsewhere, loaded in bulk.
public protocol ImportStore: Sendable {
    /// Adds the rows' opt-outs (source `import`). A number already opted out at least as widely
    /// is counted as `already` and never changed: an import never narrows an opt-out and never
    /// opts anyone back in. `actor`: the dashboard user who imported the rows. Like
    /// `issueLinks`, a long import may be committed in parts to let waiting opt-outs in; a
    /// failure can leave the first parts added, and importing again adds nothing twice.
    func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope, actor: ConsentActor?) async throws -> ImportCounts
}

extension ImportStore {
    /// An import that no dashboard user made.
    public func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope) async throws -> ImportCounts {
        try await importOptOuts(companyID: companyID, rows: rows, scope: scope, actor: nil)
    }
}

/// One row of an opt-out import.
public struct ImportRow: Sendable {
    public var phone: PhoneNumber
    public var optedOutAt: Date
    public var reason: String?

    public init(phone: PhoneNumber, optedOutAt: Date, reason: String?) {
        self.phone = phone
        self.optedOutAt = optedOutAt
        self.reason = reason
    }
}

public struct ImportCounts: Equatable, Sendable {
    public var added: Int
    public var already: Int
    /// Per row, in the rows' order: true when it was added, false when it was already present
    /// (a number twice in one import is added once, then already present).
    public var addedRows: [Bool] = []

    public init(added: Int, already: Int, addedRows: [Bool] = []) {
        self.added = added
        self.already = already
        self.addedRows = addedRows
    }
}
