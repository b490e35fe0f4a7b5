import Foundation
import StoplinkCore

/// The feed of consent events, read by sequence number.
public protocol FeedStore: Sendable {
    /// The newest sequence number of a company's events (0 when it has none).
    func feedHead(companyID: String) async throws -> Int64
    /// Events with `after < seq <= upTo`, oldest first, at most `limit`.
    func events(companyID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ConsentEvent]
    /// Current suppressions ordered by number, after `afterPhone`, at most `limit`.
    func suppressions(companyID: String, afterPhone: String?, limit: Int) async throws -> [Suppression]
}

/// Webhook endpoints and their deliveries. A delivery is written in the transaction of its event.
public protocol WebhookStore: Sendable {
    func createEndpoint(companyID: String, url: String, description: String, eventTypes: [String], at: Date) async throws -> WebhookEndpoint
    func endpoints(companyID: String) async throws -> [WebhookEndpoint]
    func endpoint(id: String, companyID: String) async throws -> WebhookEndpoint?
    func deleteEndpoint(id: String, companyID: String) async throws -> Bool
    func rotateSecret(id: String, companyID: String, keepPreviousUntil: Date) async throws -> WebhookEndpoint?
    func setEndpointEnabled(id: String, companyID: String, enabled: Bool, reason: String?) async throws -> WebhookEndpoint?
    func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDelivery]
    func retryDelivery(id: Int64, endpointID: String, at: Date) async throws -> WebhookDelivery?
    /// For each enabled endpoint with a due delivery at its head (deliveries to one endpoint go
    /// in event order), up to `perEndpoint` of its oldest pending deliveries with their events.
    func dueDeliveries(at: Date, perEndpoint: Int, endpoints: Int) async throws -> [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])]
    /// Records attempts in one transaction, in order.
    func recordAttempts(_ attempts: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)], at: Date) async throws
}
