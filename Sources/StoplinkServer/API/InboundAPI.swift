import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// The company's SMS numbers, its inbound secret, and the review queue of unclear replies.
struct InboundAPI: Sendable {
    let store: any Store
    let clock: any WallClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("numbers", use: listNumbers)
        group.post("numbers", use: addNumber)
        group.delete("numbers/{number}", use: deleteNumber)
        group.post("inbound/secret", use: rotateSecret)
        group.get("inbound/review", use: reviewQueue)
        group.post("inbound/review/{id}/apply", use: apply)
        group.post("inbound/review/{id}/dismiss", use: dismiss)
    }

    struct NumberBody: Decodable, KnownFields {
        static let knownFields: Set<String> = ["number"]
        var number: String
    }

    struct NumberView: Encodable { var number: String }

    @Sendable func listNumbers(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        struct Answer: Encodable { var numbers: [NumberView] }
        return try APIJSON.response(Answer(numbers: try await store.numbers(companyID: company.id).map(NumberView.init)))
    }

    @Sendable func addNumber(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let body = try await APIJSON.decode(NumberBody.self, from: request)
        guard let number = SMSNumber.normalise(body.number) else {
            throw APIError.invalid("number", SMSNumber.formatHint)
        }
        guard try await store.addNumber(companyID: company.id, number: number, at: clock.now()) else {
            // Neutral on purpose: saying who holds the number would tell one company about another.
            throw APIError(.conflict, "number_unavailable", "this number cannot be added")
        }
        return try APIJSON.response(NumberView(number: number), status: .created)
    }

    @Sendable func deleteNumber(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let given = context.parameters.get("number")?.removingPercentEncoding ?? ""
        guard let number = SMSNumber.normalise(given), try await store.deleteNumber(companyID: company.id, number: number) else {
            throw APIError.notFound("number")
        }
        return Response(status: .noContent)
    }

    /// Creates or replaces the secret that signs `POST /inbound/generic`; shown only here.
    @Sendable func rotateSecret(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        struct Answer: Encodable { var secret: String }
        return try APIJSON.response(Answer(secret: try await store.rotateInboundSecret(companyID: company.id))).showingSecretOnce()
    }

    struct ReviewView: Encodable {
        var id: Int64
        var phone: String
        var to: String
        var text: String
        var receivedAt: Date
        var deadline: Date
        /// Seconds left before the deadline (negative once it has passed).
        var secondsLeft: Int

        init(_ item: ReviewItem, now: Date) {
            id = item.id
            phone = item.from.e164
            to = item.to
            text = item.text
            receivedAt = item.receivedAt
            deadline = item.deadline
            secondsLeft = Int(item.deadline.timeIntervalSince(now))
        }
    }

    @Sendable func reviewQueue(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let now = clock.now()
        struct Answer: Encodable { var items: [ReviewView] }
        return try APIJSON.response(Answer(items: try await store.reviewQueue(companyID: company.id).map { ReviewView($0, now: now) }))
    }

    @Sendable func apply(request: Request, context: AppRequestContext) async throws -> Response {
        try await resolve(context, apply: true)
    }

    @Sendable func dismiss(request: Request, context: AppRequestContext) async throws -> Response {
        try await resolve(context, apply: false)
    }

    private func resolve(_ context: AppRequestContext, apply: Bool) async throws -> Response {
        let company = try context.requireCompany()
        guard let id = context.parameters.get("id").flatMap(Int64.init),
              let item = try await store.resolveReview(id: id, companyID: company.id, apply: apply, at: clock.now()) else {
            throw APIError.notFound("review item")
        }
        return try APIJSON.response(ReviewView(item, now: clock.now()))
    }
}
