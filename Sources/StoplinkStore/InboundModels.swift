import Foundation
import StoplinkCore

/// A reply that reached one of a company's numbers.
public struct InboundMessage: Sendable {
    public var companyID: String
    /// `twilio` or `generic`: message ids are unique per gateway.
    public var gateway: String
    public var messageID: String
    public var from: PhoneNumber
    public var to: String
    public var text: String
    public var receivedAt: Date

    public init(companyID: String, gateway: String, messageID: String, from: PhoneNumber, to: String, text: String, receivedAt: Date) {
        self.companyID = companyID
        self.gateway = gateway
        self.messageID = messageID
        self.from = from
        self.to = to
        self.text = text
        self.receivedAt = receivedAt
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

public protocol InboundStore: Sendable {
    /// Adds an SMS number (E.164 or short-code digits); false when another company has it.
    func addNumber(companyID: String, number: String, at: Date) async throws -> Bool
    func numbers(companyID: String) async throws -> [String]
    func deleteNumber(companyID: String, number: String) async throws -> Bool
    func company(forNumber number: String) async throws -> Company?
    /// Creates or replaces the company's inbound secret (`whsec_...`) and returns it.
    func rotateInboundSecret(companyID: String) async throws -> String
    func inboundSecret(companyID: String) async throws -> String?
    /// Records the message and applies the decision in one transaction, once per gateway id.
    /// An opt-out older than the number's latest opt-in (or the reverse) changes nothing.
    func processInbound(_ message: InboundMessage, decision: InboundDecision) async throws -> InboundRecord
    func reviewQueue(companyID: String) async throws -> [ReviewItem]
    /// Applies (opt-out with source `keyword`) or dismisses a queued message; nil when none is queued.
    func resolveReview(id: Int64, companyID: String, apply: Bool, at: Date) async throws -> ReviewItem?
}
