import Foundation
import StoplinkCore

/// Webhook endpoints and their deliveries. A delivery is written in the transaction of its
/// event, one per enabled endpoint that wants the event's type.
///
/// Deliveries are claimed, so that any number of dispatchers (threads or processes) share the
/// work and never send one delivery twice at once: `claimDueDeliveries` hands an endpoint's
/// line to one caller only and leases it until `at + lease`; recording an attempt releases that
/// delivery. An endpoint whose oldest pending delivery is leased, or not yet due, is skipped: one
/// caller at a time holds an endpoint's line, oldest first, and the endpoint waits while its
/// oldest delivery waits for a retry. With the caller ending its line at any delivery that waits
/// for a retry, this keeps each phone number's events in event order at each endpoint, while the
/// caller sends different numbers' deliveries at once. A dispatcher that dies leaves its lease
/// to run out, and the deliveries are claimed again after it.
public protocol WebhookStore: Sendable {
    /// Creates an endpoint with a new `we_` id and `whsec_` secret.
    func createEndpoint(companyID: String, url: String, description: String, eventTypes: [String], at: Date) async throws -> WebhookEndpoint
    func endpoints(companyID: String) async throws -> [WebhookEndpoint]
    func endpoint(id: String, companyID: String) async throws -> WebhookEndpoint?
    /// Deletes an endpoint, its deliveries and its test deliveries; false when the company has no such endpoint.
    func deleteEndpoint(id: String, companyID: String) async throws -> Bool
    func rotateSecret(id: String, companyID: String, keepPreviousUntil: Date) async throws -> WebhookEndpoint?
    func setEndpointEnabled(id: String, companyID: String, enabled: Bool, reason: String?) async throws -> WebhookEndpoint?
    /// An endpoint's deliveries, newest first.
    func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDelivery]
    /// Sends the endpoint's delivery `number` again from the first attempt (also one that failed
    /// or succeeded). Each endpoint numbers its deliveries 1, 2, 3, ... (`WebhookDelivery.number`).
    /// Throws `StoreError.deliveryInFlight` while a dispatcher holds it, so it is never sent twice
    /// at once.
    func retryDelivery(number: Int64, endpointID: String, at: Date) async throws -> WebhookDelivery?
    /// Logs a test event sent to an endpoint; only the endpoint's latest
    /// `WebhookTestDelivery.kept` are kept.
    func recordTestDelivery(_ test: WebhookTestDelivery) async throws
    /// An endpoint's test events, newest first.
    func testDeliveries(endpointID: String, limit: Int) async throws -> [WebhookTestDelivery]
    /// Claims, in one transaction, up to `endpoints` enabled endpoints whose oldest pending
    /// delivery is due at `at` and not leased, each with up to `perEndpoint` of its oldest
    /// pending deliveries and their events, leased until `at + lease`. No two callers get the
    /// same delivery while its lease runs.
    func claimDueDeliveries(at: Date, lease: TimeInterval, perEndpoint: Int, endpoints: Int) async throws
        -> [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])]
    /// Gives back claimed deliveries that were not attempted, so the next round can take them;
    /// a claim that has since run out and been taken by another caller is left alone.
    func releaseClaims(_ deliveries: [WebhookDelivery]) async throws
    /// Records attempts in one transaction, in order, and releases their claims.
    func recordAttempts(_ attempts: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)], at: Date) async throws
    /// The pending deliveries of enabled endpoints (a disabled endpoint's queue waits for a
    /// person, not the dispatcher): how many, and when the oldest of them was created.
    func deliveryBacklog() async throws -> DeliveryBacklog
    /// The company's endpoints that need a person: disabled, or with deliveries that are being
    /// retried after a failure or that failed for good at or after `since`; by creation.
    func failingEndpoints(companyID: String, since: Date) async throws -> [FailingEndpoint]
}

public struct DeliveryBacklog: Equatable, Sendable {
    public var count: Int
    public var oldest: Date?

    public init(count: Int, oldest: Date?) {
        self.count = count
        self.oldest = oldest
    }
}

/// An endpoint that is disabled or whose deliveries fail (see `WebhookStore.failingEndpoints`).
public struct FailingEndpoint: Equatable, Sendable {
    public var endpoint: WebhookEndpoint
    /// Deliveries waiting for another attempt after a failure.
    public var retrying: Int
    /// Deliveries that failed for good since the moment asked about.
    public var failed: Int
    /// The latest failure's error, when there is one.
    public var lastError: String?
}
