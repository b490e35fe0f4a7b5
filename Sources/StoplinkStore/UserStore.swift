import Foundation
import StoplinkCore

/// The people who log in to a company's dashboard. Each user belongs to one company; emails are
/// unique across all companies without regard to case (a login names only an email), and are
/// kept as `EmailAddress.normalize` gives them. Only a bcrypt hash of a password is stored.
public protocol UserStore: Sendable {
    /// Adds a user. Throws `StoreError.companyNotFound` for an unknown company and
    /// `StoreError.userExists` when any company already has a user with that email (in any case);
    /// the check holds at the moment of the insert, also against parallel writers.
    func createUser(companyID: String, email: String, role: UserRole, passwordHash: String, at: Date) async throws -> User
    /// The user with that email, compared without regard to case; nil when there is none.
    func user(email: String) async throws -> User?
    func user(id: String) async throws -> User?
    /// A company's users, oldest first.
    func users(companyID: String) async throws -> [User]
    /// Removes a company's user and every session of theirs; nil when that company has no user
    /// with that email (another company's user is never touched). With `keepingAnOwner`, removing
    /// the company's last owner throws `StoreError.lastOwner` and changes nothing; the count holds
    /// at the moment of the delete, also against parallel writers.
    func removeUser(companyID: String, email: String, keepingAnOwner: Bool) async throws -> User?
    /// Changes a company's user's role; nil when that company has no user with that email.
    /// Demoting the company's last owner throws `StoreError.lastOwner` and changes nothing; the
    /// count holds at the moment of the update, also against parallel writers (two owners who
    /// demote each other at once leave one owner).
    func setRole(companyID: String, email: String, role: UserRole) async throws -> User?
    /// Replaces a company's user's password hash and ends every session of theirs; nil when that
    /// company has no user with that email.
    func setPasswordHash(companyID: String, email: String, passwordHash: String, at: Date) async throws -> User?
}

extension UserStore {
    /// Removes a company's user, even its last owner (the command line's `user remove`).
    public func removeUser(companyID: String, email: String) async throws -> User? {
        try await removeUser(companyID: companyID, email: email, keepingAnOwner: false)
    }
}

/// What a user may do on the dashboard: an owner everything; a marketer reads and acts on
/// numbers and queues but never sees keys, secrets, webhooks, numbers or users.
public enum UserRole: String, Sendable, CaseIterable, Codable {
    case owner
    case marketer
}

public struct User: Equatable, Sendable {
    public var id: String
    public var companyID: String
    public var email: String
    public var role: UserRole
    public var passwordHash: String
    public var createdAt: Date
    public var passwordChangedAt: Date
}
