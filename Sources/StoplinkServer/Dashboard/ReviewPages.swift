import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// The review queue of unclear STOP replies: overdue first, then by deadline. Applying one opts
/// the number out as the reply would have (source `keyword`, its text and the user on the ledger
/// row); dismissing it changes no consent. Both go in the audit log. Marketers may do this.
extension DashboardController {
    func addReviewRoutes(to group: RouterGroup<DashboardContext>) {
        group.get("review", use: reviewQueue)
        group.post("review/{id}/apply", use: applyReview)
        group.post("review/{id}/dismiss", use: dismissReview)
    }

    /// The queue's head shown at once; the rest waits behind it in deadline order.
    static let reviewItemsShown = 100

    static let reviewNotices: [String: String] = [
        "applied": "The reply was applied as an opt-out. The number's page shows its history.",
        "dismissed": "The reply was dismissed. The number's consent did not change.",
    ]

    @Sendable func reviewQueue(request: Request, context: DashboardContext) async throws -> Response {
        let now = clock.now()
        let queue = try await store.reviewQueuePage(companyID: context.visitor.company.id, limit: Self.reviewItemsShown, now: now)
        let items = queue.items
        var values: [String: Any] = [
            "items": items.map { item -> [String: Any] in
                [
                    "id": item.id, "phone": item.from.e164, "href": Self.numberPath(item.from), "text": item.text,
                    "received": ConsentDisplay.time(item.receivedAt), "received_iso": ConsentDisplay.iso(item.receivedAt),
                    "deadline": ConsentDisplay.time(item.deadline), "deadline_iso": ConsentDisplay.iso(item.deadline),
                    "overdue": item.deadline <= now,
                ]
            },
            "has_items": !items.isEmpty, "item_count": queue.total, "overdue_count": queue.overdue, "has_overdue": queue.overdue > 0,
            "shown_count": items.count, "has_more": queue.total > items.count,
        ]
        if let notice = request.uri.queryParameters.get("done").flatMap({ Self.reviewNotices[String($0)] }) {
            values["notice"] = notice
        }
        return try page("review", context.visitor, nav: "review", values: values)
    }

    @Sendable func applyReview(request: Request, context: DashboardContext) async throws -> Response {
        try await resolveReview(request, context, apply: true)
    }

    @Sendable func dismissReview(request: Request, context: DashboardContext) async throws -> Response {
        try await resolveReview(request, context, apply: false)
    }

    /// One of two submits racing for an item gets it; the other, like an item of another
    /// company or one resolved before, gets the same 404 and changes nothing.
    private func resolveReview(_ request: Request, _ context: DashboardContext, apply: Bool) async throws -> Response {
        guard try await hasValidToken(request, context) else { return try forbidden(context.visitor) }
        let visitor = context.visitor
        let now = clock.now()
        guard let id = context.parameters.get("id").flatMap(Int64.init),
              let item = try await store.resolveReview(id: id, companyID: visitor.company.id, apply: apply, actor: Self.actor(visitor), at: now)
        else {
            return try message(visitor, status: .notFound, heading: "This reply is not waiting for review",
                               text: "It was applied or dismissed already, or it is not in your queue. Nothing was changed.")
        }
        try await store.recordAudit(AuditEntry(
            companyID: visitor.company.id, userID: visitor.user.id, userEmail: visitor.user.email,
            action: apply ? "review_applied" : "review_dismissed", detail: "reply \(item.id) from \(item.from.masked)", at: now
        ))
        context.logger.info("dashboard review", metadata: ["user": "\(visitor.user.id)", "item": "\(item.id)", "apply": "\(apply)"])
        return .redirect(to: "/dashboard/review?done=\(apply ? "applied" : "dismissed")", type: .normal)
    }
}
