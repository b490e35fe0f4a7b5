import Hummingbird
import StoplinkCore
import StoplinkStore

/// Who is looking at the dashboard: the session's user and their company, loaded by
/// `DashboardSessionMiddleware`.
public struct DashboardVisitor: Sendable {
    public var user: User
    public var company: Company
    /// What the database keeps of the session id; forms' CSRF tokens are bound to it.
    public var sessionHash: String
}

/// The context of the pages behind a login: a visitor is always there (the routes' group lets
/// no request without one through), so handlers never check for one at run time.
struct DashboardContext: ChildRequestContext {
    typealias ParentContext = AppRequestContext
    var coreContext: CoreRequestContextStorage
    let visitor: DashboardVisitor
    let parent: AppRequestContext

    init(context: AppRequestContext) throws {
        guard let visitor = context.dashboard else { throw HTTPError(.unauthorized) }
        coreContext = context.coreContext
        self.visitor = visitor
        parent = context
    }
}

/// Loads the visitor of a valid session cookie into the context (nil when there is none, it is
/// garbled, or the session has ended) and, where `required`, sends everyone else to the login page.
struct DashboardSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: any Store
    let clock: any WallClock
    let sessions: DashboardSessions
    let required: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if context.dashboard == nil, let value = request.cookies[DashboardSessions.cookieName]?.value,
           let hash = DashboardSession.hash(value) {
            let limits = sessions.lifetime
            if case let (session, user)? = try await store.useSession(
                idHash: hash, at: clock.now(), idleLimit: limits.idleLimit, absoluteLimit: limits.absoluteLimit
            ), let company = try await store.company(id: user.companyID) {
                context.dashboard = DashboardVisitor(user: user, company: company, sessionHash: session.idHash)
            }
        }
        guard required, context.dashboard == nil else { return try await next(request, context) }
        var response = Response.redirect(to: "/dashboard/login", type: .normal)
        if request.cookies[DashboardSessions.cookieName] != nil { response.setCookie(sessions.expiredCookie()) }
        return response
    }
}
