import Foundation
import Hummingbird
import StoplinkCore

/// The dashboard's cookies: the session (`stoplink_session`) and, before login, a random value
/// (`stoplink_login`) the login form's CSRF token is bound to. Both `HttpOnly`, `SameSite=Lax`,
/// `Path=/dashboard`, and `Secure` when the public URL is https.
struct DashboardSessions: Sendable {
    static let cookieName = "stoplink_session"
    static let loginCookieName = "stoplink_login"

    let lifetime: DashboardSession
    let secure: Bool

    func sessionCookie(_ id: String) -> Cookie {
        cookie(Self.cookieName, id, maxAge: Int(lifetime.absoluteLimit))
    }

    func expiredCookie() -> Cookie {
        cookie(Self.cookieName, "", maxAge: 0)
    }

    func loginCookie(_ value: String) -> Cookie {
        cookie(Self.loginCookieName, value, maxAge: Int(FormToken.lifetime))
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/dashboard", secure: secure, httpOnly: true, sameSite: .lax)
    }
}
