import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// One number's story: search in any format, its state per scope and whole history, and the
/// two forms that change it (opt out by hand; opt back in with the evidence written down). Both
/// write ledger rows with source `dashboard` and the acting user, so webhooks, the feed and
/// emails learn of them as of every other change. Marketers may use them.
///
/// Every query is the visitor's company's: a number only another company knows looks exactly
/// like a number nobody knows.
extension DashboardController {
    static let maximumNoteLength = FreeText.maximumReasonLength
    static let maximumEvidenceLength = 1_000

    func addNumberRoutes(to group: RouterGroup<DashboardContext>) {
        group.get("numbers", use: numberSearch)
        group.get("numbers/{phone}", use: number)
        group.post("numbers/{phone}/opt-out", use: optOutNumber)
        group.post("numbers/{phone}/opt-in", use: optInNumber)
        addListRoutes(to: group)
        addReviewRoutes(to: group)
    }

    /// The search box; `?q=` in any format goes to that number's page.
    @Sendable func numberSearch(request: Request, context: DashboardContext) async throws -> Response {
        guard let query = ConsentDisplay.formQuery(request)["q"] else {
            return try page("numbers", context.visitor, nav: "numbers", values: [:])
        }
        switch readNumber(query, context.visitor) {
        case .success(let phone):
            return .redirect(to: Self.numberPath(phone), type: .normal)
        case .failure(let error):
            return try page("numbers", context.visitor, nav: "numbers", values: [
                "q": query, "q_error": Self.searchError(error),
            ], status: .unprocessableContent)
        }
    }

    @Sendable func number(request: Request, context: DashboardContext) async throws -> Response {
        let input = context.parameters.get("phone").map { $0.removingPercentEncoding ?? $0 } ?? ""
        guard case .success(let phone) = readNumber(input, context.visitor) else {
            return try page("numbers", context.visitor, nav: "numbers", values: [
                "q": input, "q_error": "That is not a phone number. Type it in any format, for example 06 12345678 or +31 6 12345678.",
            ], status: .unprocessableContent)
        }
        let notice = request.uri.queryParameters.get("done").flatMap { Self.numberPageNotices[String($0)] }
        return try await numberPage(phone, context.visitor, notice: notice)
    }

    /// Opts the number out by hand: `scope` (`marketing` or `all`) and an optional `note`, kept as
    /// the row's free text.
    @Sendable func optOutNumber(request: Request, context: DashboardContext) async throws -> Response {
        guard let fields = try await verifiedForm(request, context) else { return try forbidden(context.visitor) }
        let visitor = context.visitor
        guard let phone = pathNumber(context) else { return try notFound(visitor) }
        var errors: [String: String] = [:]
        let scope = OptOutScope(rawValue: fields["scope"] ?? "")
        if scope == nil { errors["scope_error"] = "Choose which messages to stop." }
        let note = fields["note"].flatMap { FreeText.clean($0, limit: Int.max) }
        if let note, note.count > Self.maximumNoteLength {
            errors["note_error"] = "The note can be at most \(Self.maximumNoteLength) characters long."
        }
        guard errors.isEmpty, let scope else {
            var values = errors
            values["note"] = fields["note"] ?? ""
            return try await numberPage(phone, visitor, notice: nil, form: values, status: .unprocessableContent)
        }
        let outcome = try await store.recordOptOut(OptOutRequest(
            companyID: visitor.company.id, phone: phone, scope: scope, source: .dashboard, reasonText: note,
            occurredAt: clock.now(), actor: Self.actor(visitor)
        ))
        guard case .recorded = outcome else { return .redirect(to: Self.numberPath(phone, done: "already"), type: .normal) }
        abuse.metrics.optOuts(source: .dashboard)
        context.logger.info("dashboard opt-out", metadata: ["user": "\(visitor.user.id)", "phone": "\(phone.masked)", "scope": "\(scope.rawValue)"])
        return .redirect(to: Self.numberPath(phone, done: "opted-out"), type: .normal)
    }

    /// Opts the number back in; `evidence` (how the person asked to be back in) is required.
    @Sendable func optInNumber(request: Request, context: DashboardContext) async throws -> Response {
        guard let fields = try await verifiedForm(request, context) else { return try forbidden(context.visitor) }
        let visitor = context.visitor
        guard let phone = pathNumber(context) else { return try notFound(visitor) }
        let evidence = fields["evidence"].flatMap { FreeText.clean($0, limit: Int.max) }
        var error: String?
        if evidence == nil { error = "Write down how the person asked to receive messages again." }
        if let evidence, evidence.count > Self.maximumEvidenceLength {
            error = "The evidence can be at most \(Self.maximumEvidenceLength) characters long."
        }
        guard let evidence, error == nil else {
            return try await numberPage(
                phone, visitor, notice: nil, form: ["evidence": fields["evidence"] ?? "", "evidence_error": error ?? ""],
                status: .unprocessableContent
            )
        }
        let event = try await store.recordOptIn(
            companyID: visitor.company.id, phone: phone, source: .dashboard, evidence: evidence, actor: Self.actor(visitor), at: clock.now()
        )
        guard event != nil else { return .redirect(to: Self.numberPath(phone, done: "not-opted-out"), type: .normal) }
        context.logger.info("dashboard opt-in", metadata: ["user": "\(visitor.user.id)", "phone": "\(phone.masked)"])
        return .redirect(to: Self.numberPath(phone, done: "opted-in"), type: .normal)
    }

    // MARK: The page

    static let numberPageNotices: [String: String] = [
        "opted-out": "The number is opted out. The change is in its history below.",
        "opted-in": "The number is opted back in. The change and its evidence are in its history below.",
        "already": "The number was already opted out at least as widely. Nothing was changed.",
        "not-opted-out": "The number was not opted out. Nothing was changed.",
    ]

    /// `form`: the values and errors of a form that did not pass, shown next to its fields.
    private func numberPage(
        _ phone: PhoneNumber, _ visitor: DashboardVisitor, notice: String?, form: [String: String] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let company = visitor.company.id
        let suppression = try await store.suppression(companyID: company, phone: phone)
        let history = try await store.history(companyID: company, phone: phone)
        var values: [String: Any] = form
        values["phone"] = phone.e164
        values["path"] = Self.numberPath(phone)
        let purposes: [(Purpose, String)] = [(.marketing, "Marketing messages"), (.transactional, "Every message, also codes and order notices")]
        values["scopes"] = purposes.map { purpose, label -> [String: Any] in
            let blocked = suppression?.scope.blocks(purpose) == true
            return ["label": label, "blocked": blocked, "state": blocked ? "Stopped" : "Allowed"]
        }
        if let suppression {
            // A section shows for any value, even "": the campaign is left out when there is none.
            var state: [String: Any] = [
                "since": ConsentDisplay.time(suppression.since), "since_iso": ConsentDisplay.iso(suppression.since),
                "scope": ConsentDisplay.scope(suppression.scope), "source": Self.sourceName(suppression.source),
            ]
            state["campaign"] = suppression.campaignRef
            values["suppression"] = state
        }
        values["can_opt_out"] = suppression?.scope != .all
        values["can_opt_in"] = suppression != nil
        let chosen = form["scope"] ?? (suppression == nil ? "marketing" : "all")
        values["scope_marketing"] = chosen == "marketing"
        values["scope_all"] = chosen == "all"
        values["events"] = history.reversed().map { event -> [String: Any] in
            [
                "at": ConsentDisplay.time(event.occurredAt), "at_iso": ConsentDisplay.iso(event.occurredAt),
                "action": event.action == .optOut ? "Opt-out" : "Opt-in", "scope": ConsentDisplay.scope(event.scope),
                "source": Self.sourceName(event.source), "campaign": event.campaignRef ?? "", "reason": event.reason ?? "",
                "reason_text": event.reasonText ?? "", "evidence": event.evidence ?? "", "raw_text": event.rawText ?? "",
                "actor": event.actor?.email ?? "",
            ]
        }
        values["has_events"] = !history.isEmpty
        values["event_count"] = history.count
        if let notice { values["notice"] = notice }
        return try page("number", visitor, nav: "numbers", values: values, status: status)
    }

    // MARK: Helpers

    /// Any format a person types, read with the company's default country.
    func readNumber(_ input: String, _ visitor: DashboardVisitor) -> Result<PhoneNumber, PhoneNumberError> {
        Result { () throws(PhoneNumberError) in try PhoneNumber(parsing: input, defaultRegion: visitor.company.defaultCountry) }
    }

    private func pathNumber(_ context: DashboardContext) -> PhoneNumber? {
        let input = context.parameters.get("phone").map { $0.removingPercentEncoding ?? $0 } ?? ""
        return try? readNumber(input, context.visitor).get()
    }

    static func searchError(_ error: PhoneNumberError) -> String {
        "That is not a phone number we can read: \(error.description). Type it in any format, for example 06 12345678 or +31 6 12345678."
    }

    static func numberPath(_ phone: PhoneNumber, done: String? = nil) -> String {
        "/dashboard/numbers/\(pathComponent(phone.e164))" + (done.map { "?done=\($0)" } ?? "")
    }

    static func actor(_ visitor: DashboardVisitor) -> ConsentActor {
        ConsentActor(userID: visitor.user.id, email: visitor.user.email)
    }
}

/// How the number, list and review pages write times, scopes and query strings.
enum ConsentDisplay {
    /// `2026-12-01 20:56 UTC`.
    static func time(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d UTC", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0
        )
    }

    /// For `<time datetime>`.
    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func scope(_ scope: OptOutScope) -> String {
        switch scope {
        case .marketing: "Marketing"
        case .all: "Everything"
        }
    }

    /// The query string read as a GET form sends it (`+` is a space, as Hummingbird's own reader
    /// does not take it); nothing when it cannot be read.
    static func formQuery(_ request: Request) -> [String: String] {
        (try? FormBody.parse(Array((request.uri.query ?? "").utf8))) ?? [:]
    }

    /// `name=value&...` with every value percent-encoded (a `+` in a number must survive).
    static func query(_ pairs: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.compactMap { name, value in
            guard let value, !value.isEmpty else { return nil }
            return "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}
