import Foundation
import StoplinkCore

/// Dashboard sessions and failed logins, kept in the database so they hold across restarts and
/// processes. A session is stored under the SHA-256 of its id (`DashboardSession.hash`), never
/// the id itself.
public protocol SessionStore: Sendable {
    /// Starts a session for a user; nil when there is no such user.
    func createSession(idHash: String, userID: String, at: Date) async throws -> StoredSession?
    /// The live session with that hash and its user, its last use moved to `now`. A session idle
    /// longer than `idleLimit`, or older than `absoluteLimit`, is deleted and answers nil, as does
    /// one whose user is gone or whose password changed after it began.
    func useSession(idHash: String, at now: Date, idleLimit: TimeInterval, absoluteLimit: TimeInterval) async throws
        -> (session: StoredSession, user: User)?
    /// Ends a session (logout); ending one that is gone is harmless.
    func deleteSession(idHash: String) async throws
    /// Records a failed login for an email (as typed, compared without regard to case) and a
    /// client address.
    func recordLoginFailure(email: String, address: String, at: Date) async throws
    /// Failed logins since `since` for that email and for that address, read in one transaction.
    func loginFailures(email: String, address: String, since: Date) async throws -> (email: Int, address: Int)
}

public struct StoredSession: Equatable, Sendable {
    public var idHash: String
    public var userID: String
    public var createdAt: Date
    public var lastSeenAt: Date
}

/// Who did what on a company's dashboard; written by every dashboard action that changes
/// something (login and logout included), shown to owners.
public protocol AuditStore: Sendable {
    func recordAudit(_ entry: AuditEntry) async throws
    /// A company's entries, newest first, at most `limit`.
    func auditLog(companyID: String, limit: Int) async throws -> [AuditEntry]
}

public struct AuditEntry: Equatable, Sendable {
    public var companyID: String
    public var userID: String?
    /// Copied, so a removed user's entries still say who.
    public var userEmail: String
    /// What was done, such as `login` or `logout`.
    public var action: String
    public var detail: String
    public var at: Date

    public init(companyID: String, userID: String?, userEmail: String, action: String, detail: String = "", at: Date) {
        self.companyID = companyID
        self.userID = userID
        self.userEmail = userEmail
        self.action = action
        self.detail = detail
        self.at = at
    }
}
