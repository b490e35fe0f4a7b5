import Foundation
import StoplinkCore

/// A stored API key; the key itself is never stored, only its hash.
public struct StoredAPIKey: Equatable, Sendable {
    public var prefix: String
    public var companyID: String
    public var hash: String
    public var name: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}

/// A number's answer to "may I send this?".
public struct CheckResult: Equatable, Sendable {
    public var phone: PhoneNumber
    public var suppression: Suppression?
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

public struct CampaignStats: Equatable, Sendable {
    public struct ReasonText: Equatable, Sendable {
        public var seq: Int64
        public var text: String
        public var occurredAt: Date
    }

    public var links: Int
    public var visits: VisitCounts
    public var optOutsBySource: [String: Int]
    public var reasons: [(key: String, count: Int)]
    public var reasonTexts: [ReasonText]
    public var perDay: [(date: String, optOuts: Int)]

    public var optOuts: Int { optOutsBySource.values.reduce(0, +) }

    public static func == (a: CampaignStats, b: CampaignStats) -> Bool {
        a.links == b.links && a.visits == b.visits && a.optOutsBySource == b.optOutsBySource
            && a.reasons.map(\.key) == b.reasons.map(\.key) && a.reasons.map(\.count) == b.reasons.map(\.count)
            && a.reasonTexts == b.reasonTexts && a.perDay.map(\.date) == b.perDay.map(\.date)
            && a.perDay.map(\.optOuts) == b.perDay.map(\.optOuts)
    }
}

/// A stored answer to a POST, replayed for a repeat with the same `Idempotency-Key`.
public struct IdempotentAnswer: Equatable, Sendable {
    public var requestHash: String
    public var status: Int
    public var contentType: String
    public var body: Data

    public init(requestHash: String, status: Int, contentType: String, body: Data) {
        self.requestHash = requestHash
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
