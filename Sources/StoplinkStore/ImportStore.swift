import Foundation
import StoplinkCore

/// Opt-outs made elsewhere, loaded in bulk.
public protocol ImportStore: Sendable {
    /// Adds the rows' opt-outs in one transaction (source `import`). A number already opted out
    /// at least as widely is counted as `already` and never changed: an import never narrows an
    /// opt-out and never opts anyone back in.
    func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope) async throws -> ImportCounts
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
}
