/// What happens to a reply that mentions STOP among other words (`inbound_policy`).
public enum InboundPolicy: String, CaseIterable, Codable, Sendable {
    /// Applied as an opt-out at once.
    case apply
    /// Queued for a person to decide.
    case review
}

/// The kinds of a company's own reply words (the keys of its `keywords` setting).
public enum KeywordKind: String, CaseIterable, Codable, Sendable {
    case optOut = "opt_out"
    case optIn = "opt_in"
    case help
}

/// The SMS gateway a reply came through; message ids are unique per gateway.
public enum InboundGateway: String, CaseIterable, Codable, Sendable {
    case twilio
    case generic
}

/// Where a stored inbound message stands.
public enum InboundMessageStatus: String, CaseIterable, Codable, Sendable {
    /// Processed when it arrived.
    case done
    /// Waiting for a person in the review queue.
    case review
    /// Applied as an opt-out from the review queue.
    case applied
    /// Dismissed from the review queue.
    case dismissed
}

extension KeywordKind {
    /// A stored `keywords` setting by kind; keys that name no kind are left out.
    public static func lists(from keywords: [String: [String]]) -> [KeywordKind: [String]] {
        var lists: [KeywordKind: [String]] = [:]
        for (key, words) in keywords {
            if let kind = KeywordKind(rawValue: key) { lists[kind] = words }
        }
        return lists
    }
}
