import Foundation
import HTTPTypes
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `/dashboard/settings/webhooks`: the company's endpoints, and each one's page with its
/// delivery log (deliveries of consent events and test events), retry, "send test", pause and
/// resume, a new secret, and removal.
extension DashboardController {
    static let webhooksPath = "/dashboard/settings/webhooks"
    static let deliveriesShown = 50
    static let webhookNotices = [
        "removed": "The endpoint and its delivery log were removed.",
        "paused": "The endpoint is paused.",
        "resumed": "The endpoint is on again.",
        "tested": "A test event was sent; what came back is at the top of the log.",
        "retried": "The delivery will be sent again in a moment.",
    ]

    func addWebhookSettingsRoutes(to settings: RouterGroup<DashboardContext>) {
        settings.get("webhooks", use: webhooksPage)
        settings.post("webhooks", use: addEndpoint)
        settings.get("webhooks/{id}", use: endpointPage)
        settings.post("webhooks/{id}/remove", use: removeEndpoint)
        settings.post("webhooks/{id}/pause", use: pauseEndpoint)
        settings.post("webhooks/{id}/resume", use: resumeEndpoint)
        settings.post("webhooks/{id}/secret", use: rotateEndpointSecret)
        settings.post("webhooks/{id}/test", use: testEndpoint)
        settings.post("webhooks/{id}/deliveries/{number}/retry", use: retryDelivery)
    }

    @Sendable func webhooksPage(request: Request, context: DashboardContext) async throws -> Response {
        try await renderWebhooks(context, notice: notice(request, Self.webhookNotices))
    }

    /// Checked as the API checks (`WebhookURLPolicy`, `WebhooksAPI.eventTypes`); the answer shows
    /// the new endpoint's secret, once.
    @Sendable func addEndpoint(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            let form = EndpointForm(fields)
            var errors: [String: String] = [:]
            if form.url.isEmpty {
                errors["url"] = "Enter the URL that should receive opt-outs."
            } else if let problem = await webhooks.policy.problem(with: form.url) {
                errors["url"] = "This URL cannot receive webhooks: \(problem)."
            }
            let types = try? WebhooksAPI.eventTypes(form.eventTypes)
            if form.eventTypes.isEmpty || types == nil { errors["types"] = "Choose at least one kind of event." }
            guard errors.isEmpty, let types else {
                return try await renderWebhooks(context, form: form, errors: errors, status: .unprocessableContent)
            }
            let endpoint = try await store.createEndpoint(
                companyID: context.visitor.company.id, url: form.url, description: WebhooksAPI.storedDescription(form.description),
                eventTypes: types, at: clock.now()
            )
            try await recordChange(context, "webhook_added", Self.endpointSummary(endpoint))
            context.logger.info("webhook endpoint added on the dashboard", metadata: ["endpoint": "\(endpoint.id)"])
            return try shownSecret(
                context, endpoint, heading: "Endpoint added",
                text: "Every opt-out is now sent to this endpoint, signed with the secret below (Standard Webhooks)."
            )
        }
    }

    @Sendable func endpointPage(request: Request, context: DashboardContext) async throws -> Response {
        guard let endpoint = try await endpoint(context) else { return try notFound(context.visitor) }
        return try await renderEndpoint(context, endpoint, notice: notice(request, Self.webhookNotices))
    }

    @Sendable func removeEndpoint(request: Request, context: DashboardContext) async throws -> Response {
        try await endpointAction(request, context) { endpoint in
            guard try await store.deleteEndpoint(id: endpoint.id, companyID: endpoint.companyID) else { return try notFound(context.visitor) }
            try await recordChange(context, "webhook_removed", Self.endpointSummary(endpoint))
            return done(Self.webhooksPath, "removed")
        }
    }

    /// A paused endpoint gets nothing: opt-outs recorded meanwhile are not queued for it.
    @Sendable func pauseEndpoint(request: Request, context: DashboardContext) async throws -> Response {
        try await setEnabled(request, context, false)
    }

    @Sendable func resumeEndpoint(request: Request, context: DashboardContext) async throws -> Response {
        try await setEnabled(request, context, true)
    }

    /// A new secret; the previous one keeps signing for the API's overlap, so receivers can switch.
    @Sendable func rotateEndpointSecret(request: Request, context: DashboardContext) async throws -> Response {
        try await endpointAction(request, context) { endpoint in
            guard let rotated = try await store.rotateSecret(
                id: endpoint.id, companyID: endpoint.companyID, keepPreviousUntil: clock.now().addingTimeInterval(WebhooksAPI.secretOverlap)
            ) else { return try notFound(context.visitor) }
            try await recordChange(context, "webhook_secret_rotated", endpoint.id)
            return try shownSecret(
                context, rotated, heading: "A new signing secret",
                text: "Deliveries are signed with this secret from now on, and with the previous one too for the next 24 hours, "
                    + "so the receiver can switch over."
            )
        }
    }

    /// Sends a signed `webhook.test` event now, through the dispatcher's own sender, and logs it.
    @Sendable func testEndpoint(request: Request, context: DashboardContext) async throws -> Response {
        try await endpointAction(request, context) { endpoint in
            let test = try await webhooks.sendTest(to: endpoint)
            try await recordChange(context, "webhook_test_sent", "\(endpoint.id) \(test.succeeded ? "delivered" : "not delivered")")
            return done(Self.endpointPath(endpoint.id), "tested")
        }
    }

    @Sendable func retryDelivery(request: Request, context: DashboardContext) async throws -> Response {
        try await endpointAction(request, context) { endpoint in
            guard let number = context.parameters.get("number").flatMap(Int64.init) else { return try notFound(context.visitor) }
            do {
                guard try await store.retryDelivery(number: number, endpointID: endpoint.id, at: clock.now()) != nil else {
                    return try notFound(context.visitor)
                }
            } catch StoreError.deliveryInFlight {
                return try message(context.visitor, status: .conflict, heading: "Being sent right now",
                                   text: "Delivery \(number) is being sent at this moment. Nothing was changed; try again when it is done.")
            }
            try await recordChange(context, "webhook_delivery_retried", "\(endpoint.id) delivery \(number)")
            return done(Self.endpointPath(endpoint.id), "retried")
        }
    }

    // MARK: Helpers

    /// What the add form holds, kept to fill the form again when it is refused.
    struct EndpointForm {
        var url: String
        var description: String
        var eventTypes: [String]

        init(url: String = "", description: String = "", eventTypes: [String] = WebhookEventType.all) {
            self.url = url
            self.description = description
            self.eventTypes = eventTypes
        }

        init(_ fields: [String: String]) {
            url = (fields["url"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            description = (fields["description"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            eventTypes = WebhookEventType.all.filter { fields[Self.fieldName($0)] != nil }
        }

        /// `optout.created` becomes `type_optout_created`.
        static func fieldName(_ type: String) -> String {
            "type_" + type.replacingOccurrences(of: ".", with: "_")
        }
    }

    /// The endpoint's current secret, on the one page that shows it.
    private func shownSecret(_ context: DashboardContext, _ endpoint: WebhookEndpoint, heading: String, text: String) throws -> Response {
        try shownOnce(
            context, nav: "settings", heading: heading, text: text + " Copy it now: it is shown only once.",
            label: "Signing secret", secret: endpoint.secret, backHref: Self.endpointPath(endpoint.id), backLabel: "The endpoint and its log"
        )
    }

    static func endpointPath(_ id: String) -> String { "\(webhooksPath)/\(pathComponent(id))" }

    /// The id and host only: a URL's path or query may carry the receiver's own token.
    static func endpointSummary(_ endpoint: WebhookEndpoint) -> String {
        "\(endpoint.id) \(URL(string: endpoint.url)?.host ?? "")"
    }

    static func eventTypeLabel(_ type: String) -> String {
        switch type {
        case WebhookEventType.optOutCreated: "Opt-outs (optout.created)"
        case WebhookEventType.optOutRevoked: "Opt-ins again (optout.revoked)"
        default: type
        }
    }

    private func endpoint(_ context: DashboardContext) async throws -> WebhookEndpoint? {
        guard let id = context.parameters.get("id") else { return nil }
        return try await store.endpoint(id: id, companyID: context.visitor.company.id)
    }

    /// A change to one of the company's endpoints: the CSRF token first, then the endpoint
    /// (another company's, or none, is a 404).
    private func endpointAction(
        _ request: Request, _ context: DashboardContext, _ change: (WebhookEndpoint) async throws -> Response
    ) async throws -> Response {
        try await withVerifiedForm(request, context) { _ in
            guard let endpoint = try await endpoint(context) else { return try notFound(context.visitor) }
            return try await change(endpoint)
        }
    }

    private func setEnabled(_ request: Request, _ context: DashboardContext, _ enabled: Bool) async throws -> Response {
        try await endpointAction(request, context) { endpoint in
            guard try await store.setEndpointEnabled(
                id: endpoint.id, companyID: endpoint.companyID, enabled: enabled, reason: "paused on the dashboard"
            ) != nil else { return try notFound(context.visitor) }
            try await recordChange(context, enabled ? "webhook_resumed" : "webhook_paused", endpoint.id)
            return done(Self.endpointPath(endpoint.id), enabled ? "resumed" : "paused")
        }
    }

    private func renderWebhooks(
        _ context: DashboardContext, notice: String? = nil, form: EndpointForm = EndpointForm(), errors: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let endpoints = try await store.endpoints(companyID: context.visitor.company.id)
        var values: [String: Any] = [
            "endpoints": endpoints.map { endpoint in
                Self.endpointValues(endpoint).merging(["types": Self.eventTypes(of: endpoint).joined(separator: ", ")]) { $1 }
            },
            "has_endpoints": !endpoints.isEmpty,
            "form_url": form.url, "form_description": form.description,
            "type_choices": WebhookEventType.all.map { type in
                ["name": EndpointForm.fieldName(type), "label": Self.eventTypeLabel(type), "checked": form.eventTypes.contains(type)]
                    as [String: Any]
            },
            "description_limit": WebhooksAPI.descriptionLimit,
        ]
        if let notice { values["notice"] = notice }
        if let error = errors["url"] { values["url_error"] = error }
        if let error = errors["types"] { values["types_error"] = error }
        return try page("settings_webhooks", context.visitor, nav: "settings", values: values, status: status)
    }

    private func renderEndpoint(_ context: DashboardContext, _ endpoint: WebhookEndpoint, notice: String?) async throws -> Response {
        let deliveries = try await store.deliveries(endpointID: endpoint.id, limit: Self.deliveriesShown)
        let tests = try await store.testDeliveries(endpointID: endpoint.id, limit: WebhookTestDelivery.kept)
        let now = clock.now()
        // One log, newest first: deliveries of consent events and test events side by side.
        struct Line {
            var at: Date
            var order: Int64
            var row: [String: Any]
        }
        var log: [Line] = deliveries.map { delivery in
            Line(at: delivery.createdAt, order: delivery.number, row: [
                "what": "Event \(delivery.eventSeq)", "number": delivery.number,
                "webhook_id": webhooks.eventIDs.id(ofSeq: delivery.seq),
                "at": Self.utc(delivery.createdAt), "status": Self.statusText(delivery),
                "failed": delivery.status == .failed, "attempts": delivery.attempts,
                "answer": Self.answerText(statusCode: delivery.lastStatusCode, error: delivery.lastError),
                "next": delivery.status == .pending ? Self.utc(delivery.nextAttemptAt.map { max($0, now) }) : "",
                "can_retry": delivery.status == .failed || (delivery.status == .pending && delivery.attempts > 0),
                "retry_href": "\(Self.endpointPath(endpoint.id))/deliveries/\(delivery.number)/retry",
            ])
        }
        log += tests.map { test in
            Line(at: test.sentAt, order: Int64.min, row: [
                "what": "Test event", "webhook_id": test.messageID, "at": Self.utc(test.sentAt),
                "status": test.succeeded ? "Delivered" : "Failed", "failed": !test.succeeded, "attempts": 1,
                "answer": Self.answerText(statusCode: test.statusCode, error: test.error), "next": "", "can_retry": false,
            ])
        }
        log.sort { ($0.at, $0.order) > ($1.at, $1.order) }
        var values = Self.endpointValues(endpoint).merging([
            "id": endpoint.id, "types": Self.eventTypes(of: endpoint).map(Self.eventTypeLabel).joined(separator: ", "),
            "created": Self.utc(endpoint.createdAt), "log": log.map(\.row), "has_log": !log.isEmpty, "log_count": log.count,
        ]) { $1 }
        if let notice { values["notice"] = notice }
        return try page("settings_webhook", context.visitor, nav: "settings", values: values)
    }

    /// What both pages show of an endpoint; a missing description or reason is left out, as
    /// Mustache takes an empty string for a section that is there.
    static func endpointValues(_ endpoint: WebhookEndpoint) -> [String: Any] {
        var values: [String: Any] = ["href": endpointPath(endpoint.id), "url": endpoint.url, "enabled": endpoint.enabled]
        if !endpoint.description.isEmpty { values["description"] = endpoint.description }
        if let reason = endpoint.disabledReason, !reason.isEmpty { values["disabled_reason"] = reason }
        return values
    }

    /// An endpoint's types; none stored means every type.
    static func eventTypes(of endpoint: WebhookEndpoint) -> [String] {
        endpoint.eventTypes.isEmpty ? WebhookEventType.all : endpoint.eventTypes
    }

    static func statusText(_ delivery: WebhookDelivery) -> String {
        switch delivery.status {
        case .succeeded: "Delivered"
        case .failed: "Failed"
        case .pending: delivery.attempts == 0 ? "Waiting" : "Retrying"
        }
    }

    static func answerText(statusCode: Int?, error: String?) -> String {
        if let error { return error }
        return statusCode.map { "answered \($0)" } ?? ""
    }
}
