import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// Webhook endpoints, their secrets and their delivery logs.
struct WebhooksAPI: Sendable {
    static let secretOverlap: TimeInterval = 24 * 3600

    let store: any Store
    let clock: any WallClock
    let dispatcher: WebhookDispatcher
    let policy: WebhookURLPolicy

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("webhooks", use: create)
        group.get("webhooks", use: list)
        group.get("webhooks/{id}", use: show)
        group.patch("webhooks/{id}", use: update)
        group.delete("webhooks/{id}", use: delete)
        group.post("webhooks/{id}/rotate-secret", use: rotate)
        group.get("webhooks/{id}/deliveries", use: deliveries)
        group.post("webhooks/{id}/deliveries/{delivery}/retry", use: retry)
        group.post("webhooks/{id}/test", use: test)
    }

    struct EndpointView: Encodable {
        var id: String
        var url: String
        var description: String
        var eventTypes: [String]
        var enabled: Bool
        var disabledReason: String?
        var createdAt: Date
        /// Only when created or rotated.
        var secret: String?

        init(_ endpoint: WebhookEndpoint, showSecret: Bool = false) {
            id = endpoint.id
            url = endpoint.url
            description = endpoint.description
            eventTypes = endpoint.eventTypes.isEmpty ? WebhookEventType.all : endpoint.eventTypes
            enabled = endpoint.enabled
            disabledReason = endpoint.disabledReason
            createdAt = endpoint.createdAt
            secret = showSecret ? endpoint.secret : nil
        }
    }

    struct CreateRequest: Decodable, KnownFields {
        static let knownFields: Set<String> = ["url", "description", "event_types"]
        var url: String
        var description: String?
        var eventTypes: [String]?
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let body = try await APIJSON.decode(CreateRequest.self, from: request)
        try await check(url: body.url)
        let types = try Self.eventTypes(body.eventTypes)
        let endpoint = try await store.createEndpoint(
            companyID: company.id, url: body.url, description: Self.storedDescription(body.description ?? ""),
            eventTypes: types, at: clock.now()
        )
        return try APIJSON.response(EndpointView(endpoint, showSecret: true), status: .created).showingSecretOnce()
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        struct Answer: Encodable { var webhooks: [EndpointView] }
        return try APIJSON.response(Answer(webhooks: try await store.endpoints(companyID: company.id).map { EndpointView($0) }))
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        try APIJSON.response(EndpointView(try await endpoint(context)))
    }

    struct UpdateRequest: Decodable, KnownFields {
        static let knownFields: Set<String> = ["enabled"]
        var enabled: Bool
    }

    /// Turns an endpoint on again (after a 410) or off.
    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await endpoint(context)
        let body = try await APIJSON.decode(UpdateRequest.self, from: request)
        guard let updated = try await store.setEndpointEnabled(
            id: endpoint.id, companyID: endpoint.companyID, enabled: body.enabled, reason: "turned off through the API"
        ) else { throw APIError.notFound("webhook \(endpoint.id)") }
        return try APIJSON.response(EndpointView(updated))
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await endpoint(context)
        _ = try await store.deleteEndpoint(id: endpoint.id, companyID: endpoint.companyID)
        return Response(status: .noContent)
    }

    /// A new secret; the previous one keeps signing for 24 hours, so receivers can switch over.
    @Sendable func rotate(request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await endpoint(context)
        guard let rotated = try await store.rotateSecret(
            id: endpoint.id, companyID: endpoint.companyID, keepPreviousUntil: clock.now().addingTimeInterval(Self.secretOverlap)
        ) else { throw APIError.notFound("webhook \(endpoint.id)") }
        return try APIJSON.response(EndpointView(rotated, showSecret: true)).showingSecretOnce()
    }

    struct DeliveryView: Encodable {
        var id: Int64
        var eventId: String
        var seq: Int64
        var status: DeliveryStatus
        var attempts: Int
        var lastStatusCode: Int?
        var lastError: String?
        var nextAttemptAt: Date?
        var createdAt: Date
        var completedAt: Date?

        init(_ delivery: WebhookDelivery, eventIDs: WebhookEventID) {
            id = delivery.number
            eventId = eventIDs.id(ofSeq: delivery.seq)
            seq = delivery.eventSeq
            status = delivery.status
            attempts = delivery.attempts
            lastStatusCode = delivery.lastStatusCode
            lastError = delivery.lastError
            nextAttemptAt = delivery.status == .pending ? delivery.nextAttemptAt : nil
            createdAt = delivery.createdAt
            completedAt = delivery.completedAt
        }
    }

    @Sendable func deliveries(request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await endpoint(context)
        let limit = try CampaignsAPI.integer(request.uri.queryParameters.get("limit"), name: "limit", default: 100, range: 1...1_000)
        struct Answer: Encodable { var deliveries: [DeliveryView] }
        return try APIJSON.response(Answer(deliveries: try await store.deliveries(endpointID: endpoint.id, limit: limit).map { DeliveryView($0, eventIDs: dispatcher.eventIDs) }))
    }

    @Sendable func retry(request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await endpoint(context)
        guard let number = context.parameters.get("delivery").flatMap(Int64.init) else { throw APIError.notFound("delivery") }
        let retried: WebhookDelivery?
        do {
            retried = try await store.retryDelivery(number: number, endpointID: endpoint.id, at: clock.now())
        } catch StoreError.deliveryInFlight {
            throw APIError(.conflict, "delivery_in_flight", "the delivery is being sent right now; try again when it is done")
        }
        guard let delivery = retried else { throw APIError.notFound("delivery") }
        return try APIJSON.response(DeliveryView(delivery, eventIDs: dispatcher.eventIDs))
    }

    /// Sends a signed `webhook.test` event at once, logs it, and says what came back.
    @Sendable func test(request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try await endpoint(context)
        let test = try await dispatcher.sendTest(to: endpoint)
        struct Answer: Encodable {
            var id: String
            var delivered: Bool
            var statusCode: Int?
            var error: String?
        }
        return try APIJSON.response(Answer(id: test.messageID, delivered: test.succeeded, statusCode: test.statusCode, error: test.error))
    }

    // MARK: Helpers

    private func endpoint(_ context: AppRequestContext) async throws -> WebhookEndpoint {
        let company = try context.requireCompany()
        let id = context.parameters.get("id") ?? ""
        guard let endpoint = try await store.endpoint(id: id, companyID: company.id) else { throw APIError.notFound("webhook \(id)") }
        return endpoint
    }

    private func check(url: String) async throws {
        if let problem = await policy.problem(with: url) { throw APIError.invalid("url", problem) }
    }

    static let descriptionLimit = 500

    /// What is kept of an endpoint's description: its first 500 characters.
    static func storedDescription(_ description: String) -> String {
        String(description.prefix(descriptionLimit))
    }

    static func eventTypes(_ types: [String]?) throws -> [String] {
        guard let types else { return [] }
        for type in types where !WebhookEventType.all.contains(type) {
            throw APIError.invalid("event_types", "unknown type \(type); use \(WebhookEventType.all.joined(separator: ", "))")
        }
        return Array(Set(types)).sorted()
    }
}
