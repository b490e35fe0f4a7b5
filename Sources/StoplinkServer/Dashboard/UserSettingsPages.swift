import Foundation
import HTTPTypes
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `/dashboard/settings/users`: the people who log in to the company's dashboard, with the
/// rules of `stoplink user ...` (`EmailAddress.normalize`, `Password`, `UserStore`). A generated
/// password is shown once; a company always keeps an owner here (`StoreError.lastOwner`).
extension DashboardController {
    static let usersPath = "/dashboard/settings/users"
    static let userNotices = [
        "added": "The user was added with the password you set.",
        "role": "The role was changed.",
        "removed": "The user was removed and their sessions ended.",
    ]

    func addUserSettingsRoutes(to settings: RouterGroup<DashboardContext>) {
        settings.get("users", use: usersPage)
        settings.post("users", use: addUser)
        settings.post("users/{id}/role", use: changeRole)
        settings.post("users/{id}/password", use: resetPassword)
        settings.post("users/{id}/remove", use: removeUser)
    }

    @Sendable func usersPage(request: Request, context: DashboardContext) async throws -> Response {
        try await renderUsers(context, notice: notice(request, Self.userNotices))
    }

    /// The password is generated and shown once, or set by the owner (`password_mode=set`).
    @Sendable func addUser(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            let form = UserForm(fields)
            var errors: [String: String] = [:]
            let email = EmailAddress.normalize(form.email)
            if email == nil { errors["email"] = "Enter an address such as ann@example.com." }
            let role = UserRole(rawValue: form.role)
            if role == nil { errors["role"] = "Choose owner or marketer." }
            if form.setsPassword, let problem = Password.problem(form.password) { errors["password"] = Self.sentence(problem) }
            guard errors.isEmpty, let email, let role else {
                return try await renderUsers(context, form: form, errors: errors, status: .unprocessableContent)
            }
            let password = form.setsPassword ? form.password : Password.generate()
            let user: User
            do {
                user = try await store.createUser(
                    companyID: context.visitor.company.id, email: email, role: role, passwordHash: try await hashPassword(password), at: clock.now()
                )
            } catch StoreError.userExists {
                // Emails are unique across companies: say only that this one cannot be used.
                return try await renderUsers(
                    context, form: form, errors: ["email": "This address cannot be added: it already has a login."], status: .conflict
                )
            }
            try await recordChange(context, "user_added", "\(user.email) (\(user.role.rawValue))")
            guard !form.setsPassword else { return done(Self.usersPath, "added") }
            return try shownOnce(
                context, nav: "settings", heading: "User added",
                text: "\(user.email) can log in as \(user.role.rawValue) with this password. Give it to them safely; it is shown only once.",
                label: "Password of \(user.email)", secret: password, backHref: Self.usersPath, backLabel: "Users"
            )
        }
    }

    /// Demoting yourself works while another owner remains; you then land on the overview,
    /// as this page is for owners.
    @Sendable func changeRole(request: Request, context: DashboardContext) async throws -> Response {
        try await userAction(request, context) { fields, user in
            guard let role = UserRole(rawValue: fields["role"] ?? "") else {
                return try await renderUsers(context, errors: ["row:\(user.id)": "Choose owner or marketer."], status: .unprocessableContent)
            }
            guard role != user.role else { return done(Self.usersPath, "role") }
            do {
                guard try await store.setRole(companyID: user.companyID, email: user.email, role: role) != nil else {
                    return try notFound(context.visitor)
                }
            } catch StoreError.lastOwner {
                return try await renderUsers(context, errors: ["row:\(user.id)": Self.lastOwnerText], status: .conflict)
            }
            try await recordChange(context, "user_role_changed", "\(user.email): \(user.role.rawValue) to \(role.rawValue)")
            if user.id == context.visitor.user.id { return .redirect(to: "/dashboard", type: .normal) }
            return done(Self.usersPath, "role")
        }
    }

    /// A generated password, shown once; every session of the user ends (yours too, when it is you).
    @Sendable func resetPassword(request: Request, context: DashboardContext) async throws -> Response {
        try await userAction(request, context) { _, user in
            let password = Password.generate()
            guard try await store.setPasswordHash(
                companyID: user.companyID, email: user.email, passwordHash: try await hashPassword(password), at: clock.now()
            ) != nil else { return try notFound(context.visitor) }
            try await recordChange(context, "user_password_reset", user.email)
            let yourself = user.id == context.visitor.user.id
            var response = try shownOnce(
                context, nav: "settings", heading: "New password",
                text: yourself
                    ? "Your sessions have ended: log in again with this password. It is shown only once."
                    : "Every session of \(user.email) has ended. Give them this password safely; it is shown only once.",
                label: "New password of \(user.email)", secret: password,
                backHref: yourself ? "/dashboard/login" : Self.usersPath, backLabel: yourself ? "Log in" : "Users"
            )
            if yourself { response.setCookie(sessions.expiredCookie()) }
            return response
        }
    }

    /// Removing yourself works while another owner remains, and logs you out.
    @Sendable func removeUser(request: Request, context: DashboardContext) async throws -> Response {
        try await userAction(request, context) { _, user in
            do {
                guard try await store.removeUser(companyID: user.companyID, email: user.email, keepingAnOwner: true) != nil else {
                    return try notFound(context.visitor)
                }
            } catch StoreError.lastOwner {
                return try await renderUsers(context, errors: ["row:\(user.id)": Self.lastOwnerText], status: .conflict)
            }
            try await recordChange(context, "user_removed", user.email)
            guard user.id == context.visitor.user.id else { return done(Self.usersPath, "removed") }
            var response = Response.redirect(to: "/dashboard/login", type: .normal)
            response.setCookie(sessions.expiredCookie())
            return response
        }
    }

    // MARK: Helpers

    /// `the password must be …` as a sentence of its own.
    static func sentence(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst() + "."
    }

    static let lastOwnerText = "This is the company's last owner: make another user an owner first."

    /// What the add form holds, kept to fill the form again when it is refused (never the password).
    struct UserForm {
        var email = ""
        var role = UserRole.marketer.rawValue
        var setsPassword = false
        var password = ""

        init() {}

        init(_ fields: [String: String]) {
            email = fields["email"] ?? ""
            role = fields["role"] ?? ""
            setsPassword = fields["password_mode"] == "set"
            password = fields["password"] ?? ""
        }
    }

    /// A change to one of the company's users: the CSRF token first, then the user (another
    /// company's, or none, is a 404).
    private func userAction(
        _ request: Request, _ context: DashboardContext, _ change: ([String: String], User) async throws -> Response
    ) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            guard let id = context.parameters.get("id"), let user = try await store.user(id: id),
                  user.companyID == context.visitor.company.id else { return try notFound(context.visitor) }
            return try await change(fields, user)
        }
    }

    private func renderUsers(
        _ context: DashboardContext, notice: String? = nil, form: UserForm = UserForm(), errors: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let users = try await store.users(companyID: context.visitor.company.id)
        var values: [String: Any] = [
            "users": users.map { user in
                var row: [String: Any] = [
                    "id": user.id, "email": user.email, "created": Self.utc(user.createdAt),
                    "is_owner_role": user.role == .owner, "is_marketer_role": user.role == .marketer,
                    "role": user.role.rawValue, "yourself": user.id == context.visitor.user.id,
                    "href": "\(Self.usersPath)/\(Self.pathComponent(user.id))",
                ]
                if let error = errors["row:\(user.id)"] { row["error"] = error }
                return row
            },
            "email_value": form.email, "role_owner": form.role == UserRole.owner.rawValue,
            "mode_set": form.setsPassword, "password_min": Password.minimumLength,
        ]
        if let notice { values["notice"] = notice }
        for field in ["email", "role", "password"] {
            if let error = errors[field] { values["\(field)_error"] = error }
        }
        return try page("settings_users", context.visitor, nav: "settings", values: values, status: status)
    }
}
