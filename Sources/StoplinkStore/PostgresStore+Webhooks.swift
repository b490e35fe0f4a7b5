import Foundation
import PostgresNIO
import StoplinkCore

/// `WebhookStore` on PostgreSQL.
extension PostgresStore {
    public func createEndpoint(companyID: String, url: String, description: String, eventTypes: [String], at: Date) async throws -> WebhookEndpoint {
        throw PostgresStore.unimplemented(#function)
    }

    public func endpoints(companyID: String) async throws -> [WebhookEndpoint] {
        throw PostgresStore.unimplemented(#function)
    }

    public func endpoint(id: String, companyID: String) async throws -> WebhookEndpoint? {
        throw PostgresStore.unimplemented(#function)
    }

    public func deleteEndpoint(id: String, companyID: String) async throws -> Bool {
        throw PostgresStore.unimplemented(#function)
    }

    public func rotateSecret(id: String, companyID: String, keepPreviousUntil: Date) async throws -> WebhookEndpoint? {
        throw PostgresStore.unimplemented(#function)
    }

    public func setEndpointEnabled(id: String, companyID: String, enabled: Bool, reason: String?) async throws -> WebhookEndpoint? {
        throw PostgresStore.unimplemented(#function)
    }

    public func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDelivery] {
        throw PostgresStore.unimplemented(#function)
    }

    public func retryDelivery(number: Int64, endpointID: String, at: Date) async throws -> WebhookDelivery? {
        throw PostgresStore.unimplemented(#function)
    }

    public func recordTestDelivery(_ test: WebhookTestDelivery) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func testDeliveries(endpointID: String, limit: Int) async throws -> [WebhookTestDelivery] {
        throw PostgresStore.unimplemented(#function)
    }

    public func claimDueDeliveries(at: Date, lease: TimeInterval, perEndpoint: Int, endpoints: Int) async throws -> [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])] {
        throw PostgresStore.unimplemented(#function)
    }

    public func releaseClaims(_ deliveries: [WebhookDelivery]) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func recordAttempts(_ attempts: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)], at: Date) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func deliveryBacklog() async throws -> DeliveryBacklog {
        throw PostgresStore.unimplemented(#function)
    }

    public func failingEndpoints(companyID: String, since: Date) async throws -> [FailingEndpoint] {
        throw PostgresStore.unimplemented(#function)
    }

}

