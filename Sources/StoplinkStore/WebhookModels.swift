import Foundation
import StoplinkCore

/// A company's webhook endpoint. Secrets are `whsec_` + base64 of 32 random bytes; after a
/// rotation the previous one keeps signing until `previousSecretUntil`.
public struct WebhookEndpoint: Equatable, Sendable {
    public var id: String
    public var companyID: String
    public var url: String
    public var description: String
    /// Empty: every type.
    public var eventTypes: [String]
    public var enabled: Bool
    public var disabledReason: String?
    public var secret: String
    public var previousSecret: String?
    public var previousSecretUntil: Date?
    public var createdAt: Date

    /// The secrets that sign a message sent at `now`, newest first.
    public func signingSecrets(at now: Date) -> [String] {
        guard let previousSecret, let until = previousSecretUntil, now < until else { return [secret] }
        return [secret, previousSecret]
    }
}

public enum DeliveryStatus: String, Codable, Sendable {
    case pending
    case succeeded
    case failed
}

/// One event on its way to one endpoint.
public struct WebhookDelivery: Equatable, Sendable {
    /// The store's own id, across endpoints: internal.
    public var id: Int64
    /// The delivery's place among its endpoint's deliveries (1, 2, 3, ...): what the API shows.
    public var number: Int64
    public var endpointID: String
    /// The event's ledger row id (`ConsentEvent.rowID`): internal.
    public var seq: Int64
    /// The event's place in its company's feed (`ConsentEvent.seq`): what receivers are shown.
    public var eventSeq: Int64
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var createdAt: Date
    public var completedAt: Date?
    /// Until when a dispatcher holds this delivery (see `WebhookStore.claimDueDeliveries`).
    public var claimedUntil: Date? = nil
}

/// A test event (`webhook.test`) sent to an endpoint at once, and what came of it.
public struct WebhookTestDelivery: Equatable, Sendable {
    /// How many test events an endpoint's log keeps.
    public static let kept = 20

    public var endpointID: String
    /// The `webhook-id` it was sent with.
    public var messageID: String
    /// Whether the endpoint answered 2xx.
    public var succeeded: Bool
    public var statusCode: Int?
    public var error: String?
    public var sentAt: Date

    public init(endpointID: String, messageID: String, succeeded: Bool, statusCode: Int?, error: String?, sentAt: Date) {
        self.endpointID = endpointID
        self.messageID = messageID
        self.succeeded = succeeded
        self.statusCode = statusCode
        self.error = error
        self.sentAt = sentAt
    }
}

/// What happened to one attempt, as the dispatcher saw it.
public enum AttemptOutcome: Sendable, Equatable {
    case succeeded(statusCode: Int)
    /// Try again at `retryAt`, or give up when it is nil.
    case failed(statusCode: Int?, error: String, retryAt: Date?)
    /// 410 Gone: the endpoint asked to be disabled.
    case gone
}

/// The consent event types webhooks carry.
public enum WebhookEventType {
    public static let optOutCreated = "optout.created"
    public static let optOutRevoked = "optout.revoked"
    public static let test = "webhook.test"
    public static let all = [optOutCreated, optOutRevoked]

    public static func of(_ action: ConsentAction) -> String {
        action == .optOut ? optOutCreated : optOutRevoked
    }
}
