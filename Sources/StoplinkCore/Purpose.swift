/// What a message is for.
public enum Purpose: String, Codable, CaseIterable, Sendable {
    case marketing
    case informational
    case transactional
}

/// How far an opt-out reaches.
public enum OptOutScope: String, Codable, CaseIterable, Sendable {
    /// Marketing only: codes and delivery notices still arrive.
    case marketing
    /// Everything the company sends.
    case all

    /// Whether a number opted out with this scope may still be sent a message of `purpose`.
    /// A marketing opt-out never blocks a one-time code; only `all` blocks everything.
    public func blocks(_ purpose: Purpose) -> Bool {
        switch (self, purpose) {
        case (.all, _): true
        case (.marketing, .marketing): true
        case (.marketing, .informational), (.marketing, .transactional): false
        }
    }

    /// Whether an opt-out with this scope already holds everything `other` would add.
    public func covers(_ other: OptOutScope) -> Bool {
        self == .all || self == other
    }
}

/// Where a consent change came from.
public enum ConsentSource: String, Codable, CaseIterable, Sendable {
    case link
    case keyword
    case api
    case `import`
    case dashboard
}

public enum ConsentAction: String, Codable, Sendable {
    case optOut = "opt_out"
    case optIn = "opt_in"
}
