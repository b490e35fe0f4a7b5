import Foundation
import StoplinkCore

/// A reply that reached one of a company's numbers.
public struct InboundMessage: Sendable {
    public var companyID: String
    /// Message ids are unique per gateway.
    public var gateway: InboundGateway
    public var messageID: String
    public var from: PhoneNumber
    public var to: String
    public var text: String
    public var receivedAt: Date

    public init(companyID: String, gateway: InboundGateway, messageID: String, from: PhoneNumber, to: String, text: String, receivedAt: Date) {
        self.companyID = companyID
        self.gateway = gateway
        self.messageID = messageID
        self.from = from
        self.to = to
        self.text = text
        self.receivedAt = receivedAt
    }
}

/// What was done with an inbound message; `action` is what the gateway is told.
public enum InboundAction: String, Codable, Sendable {
    case optOut = "opt_out"
    case optIn = "opt_in"
    case help
    case review
    case ignored
}

/// What to do with a message, decided by the caller from its text and the company's policy.
public struct InboundDecision: Sendable {
    public var action: InboundAction
    public var scope: OptOutScope
    /// The reply for each outcome (an opt-out confirmation is also sent for a repeated STOP).
    public var reply: String?
    public var reviewDeadline: Date?

    public init(action: InboundAction, scope: OptOutScope = .marketing, reply: String?, reviewDeadline: Date? = nil) {
        self.action = action
        self.scope = scope
        self.reply = reply
        self.reviewDeadline = reviewDeadline
    }
}

/// A processed message as stored: a replay of the same gateway id gets this back unchanged.
public struct InboundRecord: Equatable, Sendable {
    public var id: Int64
    public var action: InboundAction
    public var reply: String?
    public var replayed: Bool
}

/// A message waiting for a person to decide whether it is an opt-out.
public struct ReviewItem: Equatable, Sendable {
    public var id: Int64
    public var from: PhoneNumber
    public var to: String
    public var text: String
    public var receivedAt: Date
    public var deadline: Date
}
