import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import StoplinkCore
import StoplinkStore

/// The marketers' dashboard under `/dashboard`: login and logout, the overview, a campaign's
/// results, and (owners only) the audit log. Every form carries a CSRF token (a `FormToken` of
/// purpose `dashboard`, bound to the session, or before login to the `stoplink_login` cookie).
///
/// Access: a page another company owns, and a page a marketer may not see, answer 404 alike,
/// so neither tells whether it exists.
struct DashboardController: Sendable {
    static let maximumFormBytes = 16 * 1024
    /// Ten failed logins per email or per client address in fifteen minutes, then a wait.
    static let loginLockout = Lockout(limit: 10, window: 15 * 60)
    static let latestCampaigns = 10
    static let auditEntries = 200

    let store: any Store
    let renderer: DashboardRenderer
    let clock: any WallClock
    let sessions: DashboardSessions
    let csrf: FormToken
    let hasher: PasswordHasher
    /// Checked when a login names an unknown email, so the answer takes as long as for a known one.
    let decoyHash: String
    let abuse: AbuseLimits
    /// Sends the settings pages' test events and checks their endpoints' URLs.
    let webhooks: WebhookDispatcher

    func addRoutes(to router: Router<AppRequestContext>) {
        let open = router.group("dashboard")
            .add(middleware: DashboardSessionMiddleware(store: store, clock: clock, sessions: sessions, required: false))
            .add(middleware: DashboardFormLimitMiddleware<AppRequestContext> { try formTooLarge($0.dashboard) })
        open.get("login", use: loginPage)
        open.post("login", use: login)
        open.get("**", use: notFound)
        let signedIn = router.group("dashboard")
            .add(middleware: DashboardSessionMiddleware(store: store, clock: clock, sessions: sessions, required: true))
            .group(context: DashboardContext.self)
            .add(middleware: DashboardFormLimitMiddleware<DashboardContext> { try formTooLarge($0.visitor) })
        signedIn.get(use: overview)
        signedIn.post("logout", use: logout)
        signedIn.get("settings/audit", use: audit)
        addCampaignRoutes(to: signedIn)
        addNumberRoutes(to: signedIn)
        addCompanySettingsRoutes(to: signedIn)
        addIntegrationSettingsRoutes(to: signedIn)
    }

    // MARK: Login and logout

    @Sendable func loginPage(request: Request, context: AppRequestContext) async throws -> Response {
        if context.dashboard != nil { return .redirect(to: "/dashboard", type: .normal) }
        return try loginForm(request: request, email: "", error: nil, status: .ok)
    }

    @Sendable func login(request: Request, context: AppRequestContext) async throws -> Response {
        let client = abuse.clientKey(request, context: context)
        if let wait = await abuse.check(abuse.limits.login, key: client, logger: context.logger) {
            return try tooManyLogins(request: request, retryAfter: wait)
        }
        guard let fields = try await form(request),
              let binding = request.cookies[DashboardSessions.loginCookieName]?.value,
              let token = fields["csrf"], csrf.isValid(token, code: Self.loginBinding(binding), at: clock.now()) else {
            context.logger.notice("refused a dashboard login without a valid CSRF token")
            return try forbidden()
        }
        let typedEmail = fields["email"] ?? ""
        let password = fields["password"] ?? ""
        let email = EmailAddress.normalize(typedEmail) ?? typedEmail.lowercased()
        let now = clock.now()
        let failures = try await store.loginFailures(email: email, address: client, since: Self.loginLockout.windowStart(at: now))
        if Self.loginLockout.isLocked(wrongNumbers: failures.email) || Self.loginLockout.isLocked(wrongNumbers: failures.address) {
            context.logger.notice("refused a dashboard login after too many failures")
            return try tooManyLogins(request: request, retryAfter: Int(Self.loginLockout.window))
        }
        let user = try await store.user(email: email)
        let matches = try await verify(password, hash: user?.passwordHash ?? decoyHash)
        guard let user, matches else {
            try await store.recordLoginFailure(email: email, address: client, at: now)
            if let user {
                try await store.recordAudit(AuditEntry(companyID: user.companyID, userID: user.id, userEmail: user.email, action: "login_failed", at: now))
            }
            context.logger.notice("a dashboard login failed")
            return try loginForm(request: request, email: typedEmail, error: "The email or password is not right.", status: .unauthorized)
        }
        let id = DashboardSession.generateID()
        guard let hash = DashboardSession.hash(id), try await store.createSession(idHash: hash, userID: user.id, at: now) != nil else {
            return try loginForm(request: request, email: typedEmail, error: "The email or password is not right.", status: .unauthorized)
        }
        try await store.recordAudit(AuditEntry(companyID: user.companyID, userID: user.id, userEmail: user.email, action: "login", at: now))
        context.logger.info("dashboard login", metadata: ["user": "\(user.id)"])
        var response = Response.redirect(to: "/dashboard", type: .normal)
        response.setCookie(sessions.sessionCookie(id))
        return response
    }

    @Sendable func logout(request: Request, context: DashboardContext) async throws -> Response {
        guard try await hasValidToken(request, context) else { return try forbidden(context.visitor) }
        let visitor = context.visitor
        try await store.deleteSession(idHash: visitor.sessionHash)
        try await store.recordAudit(
            AuditEntry(companyID: visitor.company.id, userID: visitor.user.id, userEmail: visitor.user.email, action: "logout", at: clock.now())
        )
        var response = Response.redirect(to: "/dashboard/login", type: .normal)
        response.setCookie(sessions.expiredCookie())
        return response
    }

    // MARK: Pages

    @Sendable func overview(request: Request, context: DashboardContext) async throws -> Response {
        let company = context.visitor.company
        let now = clock.now()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let periods: [(label: String, since: Date)] = [
            ("Today (UTC)", calendar.startOfDay(for: now)),
            ("Last 7 days", now.addingTimeInterval(-7 * 86_400)),
            ("Last 30 days", now.addingTimeInterval(-30 * 86_400)),
        ]
        var counts: [[String: Int]] = []
        for period in periods {
            counts.append(try await store.optOutsBySource(companyID: company.id, since: period.since))
        }
        let sources: [[String: Any]] = ConsentSource.allCases.map { source in
            ["name": Self.sourceName(source), "counts": counts.map { $0[source.rawValue] ?? 0 }]
        }
        let latest = try await store.campaignSummaries(
            companyID: company.id, sort: .created, descending: true, limit: Self.latestCampaigns, offset: 0
        )
        let campaigns: [[String: Any]] = latest.summaries.map { summary in
            [
                "name": Self.displayName(summary.campaign), "ref": summary.campaign.ref,
                "href": "/dashboard/campaigns/\(Self.pathComponent(summary.campaign.ref))",
                "links": summary.links, "human_visits": summary.humanVisits, "opt_outs": summary.optOuts,
                "rate": Self.percent(CampaignsAPI.rate(summary.optOuts, of: summary.links)),
            ]
        }
        var values: [String: Any] = [
            "periods": zip(periods, counts).map { period, count in
                ["label": period.label, "total": count.values.reduce(0, +)] as [String: Any]
            },
            "sources": sources, "campaigns": campaigns, "has_campaigns": !campaigns.isEmpty, "campaign_count": campaigns.count,
        ]
        values.merge(try await overviewExtras(context.visitor)) { $1 }
        return try page("overview", context.visitor, nav: "overview", values: values)
    }

    /// Owners only: a marketer gets the same 404 as for a page that does not exist.
    @Sendable func audit(request: Request, context: DashboardContext) async throws -> Response {
        guard context.visitor.user.role == .owner else { return try notFound(context.visitor) }
        let entries = try await store.auditLog(companyID: context.visitor.company.id, limit: Self.auditEntries)
        let formatter = ISO8601DateFormatter()
        return try page("audit", context.visitor, nav: "settings", values: [
            "entries": entries.map { entry in
                ["at": formatter.string(from: entry.at), "email": entry.userEmail, "action": entry.action, "detail": entry.detail]
            },
            "has_entries": !entries.isEmpty, "entry_count": entries.count,
        ])
    }

    @Sendable func notFound(request: Request, context: AppRequestContext) async throws -> Response {
        try notFound(context.dashboard)
    }

    // MARK: Helpers

    /// A page inside the layout with the visitor's menu and the CSRF token of their session.
    func page(_ template: String, _ visitor: DashboardVisitor, nav: String?, values: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        var values = values
        values["user"] = true
        values["company_name"] = visitor.company.name
        values["email"] = visitor.user.email
        values["role"] = visitor.user.role.rawValue
        values["is_owner"] = visitor.user.role == .owner
        values["csrf"] = csrf.issue(code: Self.sessionBinding(visitor.sessionHash), at: clock.now())
        if let nav { values["nav_\(nav)"] = true }
        return html(status, try renderer.render(template, values: values))
    }

    func notFound(_ visitor: DashboardVisitor?) throws -> Response {
        try message(visitor, status: .notFound, heading: "Page not found", text: "There is no such page on your dashboard.")
    }

    func forbidden(_ visitor: DashboardVisitor? = nil) throws -> Response {
        try message(visitor, status: .forbidden, heading: "The form has expired",
                    text: "The form was too old or did not come from this dashboard. Nothing was changed; please try again.")
    }

    func message(_ visitor: DashboardVisitor?, status: HTTPResponse.Status, heading: String, text: String) throws -> Response {
        let values: [String: Any] = [
            "heading": heading, "text": text,
            "back_href": visitor == nil ? "/dashboard/login" : "/dashboard", "back_label": visitor == nil ? "Log in" : "Overview",
        ]
        if let visitor { return try page("message", visitor, nav: nil, values: values, status: status) }
        return html(status, try renderer.render("message", values: values))
    }

    private func tooManyLogins(request: Request, retryAfter: Int) throws -> Response {
        let minutes = max(1, (retryAfter + 59) / 60)
        var response = try loginForm(
            request: request, email: "", error: "Too many failed logins. Please wait \(minutes) minutes and try again.",
            status: .tooManyRequests
        )
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }

    /// The login form; its CSRF token is bound to the `stoplink_login` cookie, set here when missing.
    private func loginForm(request: Request, email: String, error: String?, status: HTTPResponse.Status) throws -> Response {
        let existing = request.cookies[DashboardSessions.loginCookieName]?.value
        let binding = existing.flatMap { DashboardSession.hash($0) == nil ? nil : $0 } ?? DashboardSession.generateID()
        var values: [String: Any] = ["csrf": csrf.issue(code: Self.loginBinding(binding), at: clock.now()), "email": email]
        if let error { values["error"] = error }
        var response = html(status, try renderer.render("login", values: values))
        if existing != binding { response.setCookie(sessions.loginCookie(binding)) }
        return response
    }

    /// Whether the posted form carries a CSRF token of this session.
    func hasValidToken(_ request: Request, _ context: DashboardContext) async throws -> Bool {
        try await verifiedForm(request, context) != nil
    }

    /// The posted fields when the form carries a CSRF token of this session; nil when the token
    /// is missing, forged or old, or the body is not a form (answer with `forbidden`). A body past
    /// the forms' limit throws `DashboardFormTooLarge`, answered 413 by the routes' middleware.
    func verifiedForm(_ request: Request, _ context: DashboardContext) async throws -> [String: String]? {
        guard let fields = try await form(request), let token = fields["csrf"],
              csrf.isValid(token, code: Self.sessionBinding(context.visitor.sessionHash), at: clock.now()) else { return nil }
        return fields
    }

    /// The posted fields, or nil when the body cannot be read or is not a form; a body past the
    /// forms' limit throws `DashboardFormTooLarge`.
    func form(_ request: Request) async throws -> [String: String]? {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumFormBytes)
        } catch is NIOTooManyBytesError {
            throw DashboardFormTooLarge()
        } catch {
            return nil
        }
        return try? FormBody.parse(body.readableBytesView)
    }

    func formTooLarge(_ visitor: DashboardVisitor?) throws -> Response {
        try message(visitor, status: .contentTooLarge, heading: "The form is too long",
                    text: "Forms are limited to 16 KB. Nothing was changed; please shorten what you entered and try again.")
    }

    /// bcrypt is slow by design: it runs on the thread pool, not on the server's event loops.
    private func verify(_ password: String, hash: String) async throws -> Bool {
        let hasher = self.hasher
        return try await NIOThreadPool.singleton.runIfActive { hasher.verify(password, hash: hash) }
    }

    static func loginBinding(_ value: String) -> String { "login:\(value)" }
    static func sessionBinding(_ hash: String) -> String { "session:\(hash)" }

    static func sourceName(_ source: ConsentSource) -> String {
        switch source {
        case .link: "Link page"
        case .keyword: "STOP reply"
        case .api: "API"
        case .import: "Import"
        case .dashboard: "Dashboard"
        }
    }

    static func percent(_ rate: Double) -> String {
        String(format: "%.1f %%", rate * 100)
    }

    static func pathComponent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: renderer.contentSecurityPolicy],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// A dashboard form longer than `DashboardController.maximumFormBytes`.
struct DashboardFormTooLarge: Error {}

/// Answers a form past the size limit with the dashboard's own 413 page, so it is not mistaken
/// for a forged or expired one.
struct DashboardFormLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let answer: @Sendable (Context) throws -> Response

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is DashboardFormTooLarge {
            return try answer(context)
        }
    }
}
