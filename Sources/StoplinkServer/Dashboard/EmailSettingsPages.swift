import Foundation
import HTTPTypes
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `/dashboard/settings/email`: who at the company gets email, and what each address gets:
/// each opt-out as it happens, a daily digest, or both (`EmailStore`, as `stoplink email add`).
extension DashboardController {
    static let emailPath = "/dashboard/settings/email"
    static let emailNotices = [
        "added": "The address was added.", "saved": "The choice was saved.", "removed": "The address was removed; its unsent emails were dropped.",
    ]

    func addEmailSettingsRoutes(to settings: RouterGroup<DashboardContext>) {
        settings.get("email", use: emailPage)
        settings.post("email", use: addRecipient)
        settings.post("email/update", use: updateRecipient)
        settings.post("email/remove", use: removeRecipient)
    }

    @Sendable func emailPage(request: Request, context: DashboardContext) async throws -> Response {
        try await renderEmail(context, notice: notice(request, Self.emailNotices))
    }

    /// Adds an address, or changes what one already there gets.
    @Sendable func addRecipient(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            let form = RecipientForm(fields)
            var errors: [String: String] = [:]
            if !EmailAddress.isValid(form.address) { errors["address"] = "Enter a plain address such as ops@example.com." }
            if !form.forward && !form.digest { errors["wants"] = "Choose at least one: each opt-out, or the daily digest." }
            guard errors.isEmpty else { return try await renderEmail(context, form: form, errors: errors, status: .unprocessableContent) }
            return try await save(form, context, action: "email_recipient_added", notice: "added") { problem in
                try await renderEmail(context, form: form, errors: ["address": problem], status: .unprocessableContent)
            }
        }
    }

    /// Changes what an address already on the list gets; unchecking both is refused next to its row.
    @Sendable func updateRecipient(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            let form = RecipientForm(fields)
            let existing = try await store.emailRecipients(companyID: context.visitor.company.id)
            guard existing.contains(where: { $0.address.caseInsensitiveCompare(form.address) == .orderedSame }) else {
                return try notFound(context.visitor)
            }
            let rowError = "row:\(form.address.lowercased())"
            guard form.forward || form.digest else {
                return try await renderEmail(
                    context, errors: [rowError: "Choose at least one; to send this address nothing, remove it."], status: .unprocessableContent
                )
            }
            return try await save(form, context, action: "email_recipient_changed", notice: "saved") { problem in
                try await renderEmail(context, errors: [rowError: problem], status: .unprocessableContent)
            }
        }
    }

    @Sendable func removeRecipient(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            let address = fields["address"] ?? ""
            guard try await store.removeEmailRecipient(companyID: context.visitor.company.id, address: address) else {
                return try notFound(context.visitor)
            }
            try await recordChange(context, "email_recipient_removed", address)
            return done(Self.emailPath, "removed")
        }
    }

    // MARK: Helpers

    struct RecipientForm {
        var address = ""
        var forward = true
        var digest = false

        init() {}

        init(_ fields: [String: String]) {
            address = (fields["address"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            forward = fields["forward"] != nil
            digest = fields["digest"] != nil
        }
    }

    /// Saves through the store, whose own check (`StoreError.invalidEmailRecipient`) is the last word.
    private func save(
        _ form: RecipientForm, _ context: DashboardContext, action: String, notice: String,
        refused: (String) async throws -> Response
    ) async throws -> Response {
        let recipient: EmailRecipient
        do {
            recipient = try await store.setEmailRecipient(
                companyID: context.visitor.company.id, address: form.address, forward: form.forward, digest: form.digest, at: clock.now()
            )
        } catch StoreError.invalidEmailRecipient(let problem) {
            return try await refused(Self.sentence(problem))
        }
        try await recordChange(context, action, "\(recipient.address): \(Self.wants(recipient))")
        return done(Self.emailPath, notice)
    }

    static func wants(_ recipient: EmailRecipient) -> String {
        [recipient.forward ? "each opt-out" : nil, recipient.digest ? "daily digest" : nil].compactMap { $0 }.joined(separator: " and ")
    }

    private func renderEmail(
        _ context: DashboardContext, notice: String? = nil, form: RecipientForm = RecipientForm(), errors: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let recipients = try await store.emailRecipients(companyID: context.visitor.company.id)
        var values: [String: Any] = [
            "recipients": recipients.enumerated().map { index, recipient in
                var row: [String: Any] = [
                    "index": index, "address": recipient.address, "forward": recipient.forward, "digest": recipient.digest,
                ]
                if let error = errors["row:\(recipient.address.lowercased())"] { row["error"] = error }
                return row
            },
            "has_recipients": !recipients.isEmpty,
            "address": form.address, "forward": form.forward, "digest": form.digest,
        ]
        if let notice { values["notice"] = notice }
        if let error = errors["address"] { values["address_error"] = error }
        if let error = errors["wants"] { values["wants_error"] = error }
        return try page("settings_email", context.visitor, nav: "settings", values: values, status: status)
    }
}
