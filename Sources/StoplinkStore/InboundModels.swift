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

    /// Compared with the first delivery of the same id (`InboundFingerprint`).
    public var fingerprint: String { InboundFingerprint.of(from: from.e164, to: to, text: text) }
}

/// A processed message as stored: a replay of the same gateway id gets this back unchanged.
public struct InboundRecord: Equatable, Sendable {
    public var id: Int64
    public var action: InboundAction
    public var reply: String?
    public var replayed: Bool
    /// The id was processed before for another message: nothing was written, and the other
    /// fields are the first message's.
    public var idReused = false
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

/// The head of a company's review queue, and its size.
public struct ReviewQueuePage: Equatable, Sendable {
    public var items: [ReviewItem]
    public var total: Int
    public var overdue: Int

    public init(items: [ReviewItem], total: Int, overdue: Int) {
        self.items = items
        self.total = total
        self.overdue = overdue
    }
}
