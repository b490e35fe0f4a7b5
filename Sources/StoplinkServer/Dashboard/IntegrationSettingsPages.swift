import Foundation
import HTTPTypes
import Hummingbird
import NIOPosix
import StoplinkCore
import StoplinkStore

/// The owners' settings for integrations and people: SMS numbers and the inbound secret,
/// webhook endpoints with their delivery log, API keys, users, and email recipients. Each page
/// uses the store methods and checks the API and the command line use.
///
/// Conventions: a marketer gets the 404 of a missing page for every route, GET or POST; a
/// change with a valid CSRF token is recorded in the audit log (never with a secret) and answers
/// 303 back to its page, whose `done` query names a fixed notice; bad input renders the page
/// again (422) with the message next to its field and nothing saved; a secret or password is
/// shown once, on the answer to the POST that made it, with `Cache-Control: no-store`.
extension DashboardController {
    func addIntegrationSettingsRoutes(to group: RouterGroup<DashboardContext>) {
        let settings = group.group("settings").add(middleware: OwnerOnlyMiddleware(controller: self))
        addNumberSettingsRoutes(to: settings)
        addWebhookSettingsRoutes(to: settings)
        addKeySettingsRoutes(to: settings)
        addUserSettingsRoutes(to: settings)
        addEmailSettingsRoutes(to: settings)
    }

    /// Runs `change` with the posted fields when they carry this session's CSRF token; answers
    /// `forbidden` otherwise (also for a body over the form limit), having changed nothing.
    func withVerifiedForm(
        _ request: Request, _ context: DashboardContext, _ change: ([String: String]) async throws -> Response
    ) async throws -> Response {
        guard let fields = try await verifiedForm(request, context) else {
            context.logger.notice("refused a dashboard settings form without a valid CSRF token")
            return try forbidden(context.visitor)
        }
        return try await change(fields)
    }

    /// Records who did what; `detail` never carries a secret, a password or a key.
    func recordChange(_ context: DashboardContext, _ action: String, _ detail: String) async throws {
        let visitor = context.visitor
        try await store.recordAudit(AuditEntry(
            companyID: visitor.company.id, userID: visitor.user.id, userEmail: visitor.user.email, action: action, detail: detail,
            at: clock.now()
        ))
    }

    /// Back to `path` after a change, naming the notice the page shows.
    func done(_ path: String, _ notice: String) -> Response {
        .redirect(to: "\(path)?done=\(notice)", type: .normal)
    }

    /// The text of the notice the `done` query names, from the page's own fixed list.
    func notice(_ request: Request, _ notices: [String: String]) -> String? {
        request.uri.queryParameters.get("done").flatMap { notices[$0] }
    }

    /// A secret, key or password on the one page that ever shows it: not cached, not kept.
    func shownOnce(
        _ context: DashboardContext, nav: String, heading: String, text: String, label: String, secret: String,
        backHref: String, backLabel: String
    ) throws -> Response {
        var response = try page("shown_once", context.visitor, nav: nav, values: [
            "heading": heading, "text": text, "label": label, "secret": secret, "back_href": backHref, "back_label": backLabel,
        ])
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// bcrypt is slow by design: hashing runs on the thread pool, not on the server's event loops.
    func hashPassword(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await NIOThreadPool.singleton.runIfActive { hasher.hash(password) }
    }

    /// `2026-12-01 20:56 UTC`.
    static func utc(_ date: Date?) -> String {
        guard let date else { return "" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date) + " UTC"
    }
}

/// Lets only owners through; everyone else gets the dashboard's 404, as for a page that does not
/// exist, before any form is read.
struct OwnerOnlyMiddleware: RouterMiddleware {
    typealias Context = DashboardContext
    let controller: DashboardController

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.visitor.user.role == .owner else { return try controller.notFound(context.visitor) }
        return try await next(request, context)
    }
}
