import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `/dashboard/settings/numbers`: the company's SMS numbers that receive STOP replies, and the
/// secret that signs `POST /inbound/generic`.
extension DashboardController {
    static let numbersPath = "/dashboard/settings/numbers"
    static let numberNotices = [
        "added": "The number was added.", "removed": "The number was removed.",
    ]

    func addNumberSettingsRoutes(to settings: RouterGroup<DashboardContext>) {
        settings.get("numbers", use: numbersPage)
        settings.post("numbers", use: addNumber)
        settings.post("numbers/remove", use: removeNumber)
        settings.post("numbers/secret", use: rotateInboundSecret)
    }

    @Sendable func numbersPage(request: Request, context: DashboardContext) async throws -> Response {
        try await renderNumbers(context, notice: notice(request, Self.numberNotices))
    }

    /// Validated as the API and `stoplink number add` validate (`SMSNumber.normalise`); a number
    /// another company has gets the API's neutral answer, which does not say whose it is.
    @Sendable func addNumber(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            let given = fields["number"] ?? ""
            guard let number = SMSNumber.normalise(given) else {
                return try await renderNumbers(context, typed: given, error: "The number \(SMSNumber.formatHint).", status: .unprocessableContent)
            }
            guard try await store.addNumber(companyID: context.visitor.company.id, number: number, at: clock.now()) else {
                return try await renderNumbers(context, typed: given, error: "This number cannot be added.", status: .conflict)
            }
            try await recordChange(context, "number_added", number)
            return done(Self.numbersPath, "added")
        }
    }

    @Sendable func removeNumber(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { fields in
            guard let number = SMSNumber.normalise(fields["number"] ?? ""),
                  try await store.deleteNumber(companyID: context.visitor.company.id, number: number) else {
                return try notFound(context.visitor)
            }
            try await recordChange(context, "number_removed", number)
            return done(Self.numbersPath, "removed")
        }
    }

    /// A new secret replaces the old one at once; it is shown on this answer only.
    @Sendable func rotateInboundSecret(request: Request, context: DashboardContext) async throws -> Response {
        try await withVerifiedForm(request, context) { _ in
            let secret = try await store.rotateInboundSecret(companyID: context.visitor.company.id)
            try await recordChange(context, "inbound_secret_rotated", "")
            return try shownOnce(
                context, nav: "settings", heading: "The new inbound signing secret",
                text: "Gateways that post to /inbound/generic sign with this secret from now on; the previous one no longer works. "
                    + "Copy it now: it is shown only once.",
                label: "Inbound signing secret", secret: secret, backHref: Self.numbersPath, backLabel: "SMS numbers"
            )
        }
    }

    private func renderNumbers(
        _ context: DashboardContext, notice: String? = nil, typed: String = "", error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let company = context.visitor.company
        let numbers = try await store.numbers(companyID: company.id)
        var values: [String: Any] = [
            "numbers": numbers.map { ["number": $0] },
            "has_numbers": !numbers.isEmpty,
            "has_secret": try await store.inboundSecret(companyID: company.id) != nil,
            "typed": typed,
        ]
        if let notice { values["notice"] = notice }
        if let error { values["number_error"] = error }
        return try page("settings_numbers", context.visitor, nav: "settings", values: values, status: status)
    }
}
