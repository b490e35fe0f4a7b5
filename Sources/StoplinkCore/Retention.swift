import Foundation

/// How long a company keeps the details around its opt-outs: visit details (when a link was
/// opened, by which hashed visitor), free-text reasons, and the raw text of inbound replies. Each
/// suppression and each ledger row's number, action, scope, source, campaign, reason key and time
/// are kept whatever these say.
public struct RetentionPeriods: Equatable, Sendable {
    /// One day is the shortest: a purge must never race the request that wrote the detail.
    /// Ten years is the longest a period may be set to.
    public static let allowedDays = 1...3_650
    public static let standard = RetentionPeriods(visitsDays: 90, reasonsDays: 365, inboundDays: 90)

    public var visitsDays: Int
    public var reasonsDays: Int
    public var inboundDays: Int

    public init(visitsDays: Int, reasonsDays: Int, inboundDays: Int) {
        self.visitsDays = visitsDays
        self.reasonsDays = reasonsDays
        self.inboundDays = inboundDays
    }

    /// The moments before which each kind of detail is removed, as of `now`.
    public func cutoffs(now: Date) -> RetentionCutoffs {
        let day: TimeInterval = 86_400
        return RetentionCutoffs(
            visits: now.addingTimeInterval(-Double(visitsDays) * day),
            reasons: now.addingTimeInterval(-Double(reasonsDays) * day),
            inbound: now.addingTimeInterval(-Double(inboundDays) * day)
        )
    }
}

/// Details older than these moments are removed by a purge.
public struct RetentionCutoffs: Equatable, Sendable {
    public var visits: Date
    public var reasons: Date
    public var inbound: Date
}
