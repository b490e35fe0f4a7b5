import Foundation

/// How many requests one client may make in a window: `count` per `window` seconds, refilled
/// steadily (a token bucket holding `count` tokens that refills in `window`). A burst of `count`
/// passes at once; after that one request per `window / count` seconds.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// The name the limit is configured, logged and counted under (`unknown_code`, `api`, ...).
    public var name: String
    public var count: Int
    public var window: TimeInterval

    public init(name: String, count: Int, window: TimeInterval) {
        self.name = name
        self.count = count
        self.window = window
    }

    /// Reads `COUNT/PERIOD` as written in flags and the environment: `20/min`, `6000/m`,
    /// `100/h`, `5/30s`, `10/s`; `off` turns the limit off (nil).
    public static func parse(_ text: String, name: String) throws(RateLimitError) -> RateLimit? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "off" { return nil }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), count > 0 else { throw RateLimitError(text: text, name: name) }
        var period = Substring(parts[1])
        var unit: TimeInterval
        if period.hasSuffix("min") {
            unit = 60
            period = period.dropLast(3)
        } else if let last = period.last, let seconds = ["s": 1, "m": 60, "h": 3600][String(last)] {
            unit = TimeInterval(seconds)
            period = period.dropLast()
        } else {
            throw RateLimitError(text: text, name: name)
        }
        let multiple = period.isEmpty ? 1 : Int(period)
        guard let multiple, multiple > 0 else { throw RateLimitError(text: text, name: name) }
        unit *= TimeInterval(multiple)
        return RateLimit(name: name, count: count, window: unit)
    }

    /// `20/60s`, the form the README and error messages use.
    public var description: String { "\(count)/\(Int(window))s" }
}

public struct RateLimitError: Error, CustomStringConvertible {
    public var text: String
    public var name: String

    public init(text: String, name: String) {
        self.text = text
        self.name = name
    }

    public var description: String {
        "the \(name) limit must be COUNT/PERIOD such as 20/min, 100/h or 5/30s, or off, not '\(text)'"
    }
}

/// One client's allowance under a `RateLimit`. A bucket that has refilled to the full count
/// holds nothing worth keeping: dropping it and starting a new one later changes no answer.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: Date

    /// A full bucket, as for a client never seen.
    public init(limit: RateLimit, at now: Date) {
        tokens = Double(limit.count)
        updated = now
    }

    /// The answer to one request.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a token is back after this many seconds (at least 1, whole seconds for `Retry-After`).
        case refused(retryAfter: Int)

        public var isAllowed: Bool { self == .allowed }
    }

    /// Refills for the time since the last call, then takes one token when `consume` is set.
    /// A clock that went backwards refills nothing.
    public mutating func take(_ limit: RateLimit, at now: Date, consume: Bool = true) -> Decision {
        refill(limit, at: now)
        guard tokens >= 1 else {
            let perToken = limit.window / Double(limit.count)
            return .refused(retryAfter: max(1, Int(((1 - tokens) * perToken).rounded(.up))))
        }
        if consume { tokens -= 1 }
        return .allowed
    }

    /// True when the bucket is full again at `now`: it can be forgotten.
    public func isIdle(_ limit: RateLimit, at now: Date) -> Bool {
        var copy = self
        copy.refill(limit, at: now)
        return copy.tokens >= Double(limit.count)
    }

    private mutating func refill(_ limit: RateLimit, at now: Date) {
        let elapsed = max(0, now.timeIntervalSince(updated))
        tokens = min(Double(limit.count), tokens + elapsed * Double(limit.count) / limit.window)
        if now > updated { updated = now }
    }
}
