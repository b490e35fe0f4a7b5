import Foundation

/// Where the current time comes from, so lockouts, token expiry and retries can be tested
/// without waiting.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
