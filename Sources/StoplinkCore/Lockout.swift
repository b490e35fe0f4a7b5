import Foundation

/// When a link stops accepting numbers: after `limit` wrong numbers within `window`, the page
/// shows how else to opt out (STOP) instead of the form, until the oldest wrong number ages out.
public struct Lockout: Equatable, Sendable {
    public var limit: Int
    public var window: TimeInterval

    /// Five wrong numbers in 24 hours.
    public static let standard = Lockout(limit: 5, window: 24 * 60 * 60)

    public init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Wrong numbers typed after this moment count towards the lockout at `now`.
    public func windowStart(at now: Date) -> Date {
        now.addingTimeInterval(-window)
    }

    /// Whether a link with `wrongNumbers` counted since `windowStart(at:)` is locked.
    public func isLocked(wrongNumbers: Int) -> Bool {
        wrongNumbers >= limit
    }
}
