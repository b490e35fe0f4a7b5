import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StoplinkCore
import StoplinkStore

/// The recipient's pages: `GET /{code}` shows the form, `POST /{code}` opts out after the number
/// is confirmed, `GET /{code}/done` confirms. A GET never changes consent.
struct LandingController: Sendable {
    static let maximumFormBytes = 16 * 1024
    static let lockout = Lockout.standard

    let store: any Store
    let renderer: PageRenderer
    let formToken: FormToken
    let visits: VisitRecorder
    let clock: any WallClock
    let allowedOrigins: Set<String>
    let abuse: AbuseLimits
    let metrics: StoplinkMetrics
    /// Keys the hash that counts unique visitors without storing their addresses.
    let visitorKey: Data

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("{code}", use: show)
        router.head("{code}", use: show)
        router.post("{code}", use: submit)
        router.get("{code}/done", use: done)
    }

    // MARK: Routes

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        let client = abuse.clientKey(request, context: context)
        if let refused = try await refusedLookup(client: client, request: request, context: context) { return refused }
        guard let found = try await lookUp(code) else {
            return try await unknownCode(client: client, request: request, context: context)
        }
        visits.record(visit(to: found.link, request: request, context: context))
        var response = try page(
            for: found, language: chooseLanguage(request, company: found.company), request: request, form: FormState()
        )
        if request.method == .head { response.body = ResponseBody() }
        return response
    }

    @Sendable func submit(request: Request, context: AppRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        var language = chooseLanguage(request, company: nil)
        let client = abuse.clientKey(request, context: context)
        if let wait = await abuse.check(abuse.limits.form, key: client, logger: context.logger) {
            return try tooManyRequests(retryAfter: wait, language: language)
        }
        if let refused = try await refusedLookup(client: client, request: request, context: context) { return refused }
        if isCrossSite(request) {
            context.logger.notice("refused a cross-site form post")
            return try message(.forbidden, "forbidden", language: language)
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumFormBytes, limit: "forms are limited to 16 KB")
        } catch let error as APIError where error.status == .contentTooLarge {
            return try message(.contentTooLarge, "too_large", language: language)
        }
        guard let found = try await lookUp(code) else {
            return try await unknownCode(client: client, request: request, context: context)
        }
        language = chooseLanguage(request, company: found.company)

        let fields: [String: String]
        do {
            fields = try FormBody.parse(body.readableBytesView)
        } catch {
            // The token cannot be read either; show a fresh form and record nothing.
            return try page(for: found, language: language, request: request,
                                  form: FormState(error: "error_invalid_text"), status: .badRequest)
        }
        let now = clock.now()
        guard let token = fields["token"], formToken.isValid(token, code: found.link.code, at: now) else {
            context.logger.notice("refused a form post without a valid token")
            return try message(.forbidden, "forbidden", language: language)
        }
        if let suppression = found.suppression, suppression.scope.covers(found.company.optOutScope) {
            return redirectToDone(found.link.code, language: language)
        }
        if Self.lockout.isLocked(wrongNumbers: found.wrongNumbers) {
            return try page(for: found, language: language, request: request, form: FormState(), status: .tooManyRequests)
        }

        let reasonText = fields["reason_text"].flatMap { FreeText.clean($0) }
        let reason = fields["reason"].flatMap { key in renderer.offeredReasons(of: found.company, language: language).first { $0.key == key }?.key }
        var form = FormState(phone: fields["phone"] ?? "", reason: reason, reasonText: reasonText ?? "")

        let typed: PhoneNumber
        do {
            typed = try PhoneNumber(parsing: fields["phone"] ?? "", defaultRegion: found.company.defaultCountry)
        } catch {
            form.error = "error_invalid_phone"
            return try page(for: found, language: language, request: request, form: form, status: .unprocessableContent)
        }
        guard typed == found.link.phone else {
            var found = found
            let wrong = try await store.recordFailedAttempt(
                linkID: found.link.id, at: now, countingSince: Self.lockout.windowStart(at: now)
            )
            context.logger.notice("wrong number typed on a link", metadata: ["attempts": "\(wrong)"])
            found.wrongNumbers = wrong
            form.error = "error_mismatch"
            let status: HTTPResponse.Status = Self.lockout.isLocked(wrongNumbers: wrong) ? .tooManyRequests : .unprocessableContent
            return try page(for: found, language: language, request: request, form: form, status: status)
        }

        guard let outcome = try await store.recordLinkOptOut(
            OptOutRequest(
                companyID: found.company.id, phone: found.link.phone, scope: found.company.optOutScope, source: .link,
                campaignID: found.link.campaignID, reason: reason, reasonText: reasonText, occurredAt: now
            ),
            linkID: found.link.id, wrongNumbersSince: Self.lockout.windowStart(at: now), limit: Self.lockout.limit
        ) else {
            var locked = found
            locked.wrongNumbers = max(found.wrongNumbers, Self.lockout.limit)
            return try page(for: locked, language: language, request: request, form: FormState(), status: .tooManyRequests)
        }
        if case .recorded(let event) = outcome {
            metrics.optOuts(source: .link)
            context.logger.info("opt-out recorded", metadata: ["seq": "\(event.seq)", "phone": "\(event.phone.masked)"])
        }
        return redirectToDone(found.link.code, language: language)
    }

    @Sendable func done(request: Request, context: AppRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        let client = abuse.clientKey(request, context: context)
        if let refused = try await refusedLookup(client: client, request: request, context: context) { return refused }
        guard let found = try await lookUp(code) else {
            return try await unknownCode(client: client, request: request, context: context)
        }
        let chosen = chooseLanguage(request, company: found.company)
        guard let suppression = found.suppression else {
            return Response(status: .seeOther, headers: [.location: "/\(found.link.code)?lang=\(chosen)"])
        }
        let body = suppression.scope == .all ? "body_done_all" : "body_done"
        let company = found.company.name
        return html(.ok, try renderer.render("message", language: chosen, values: [
            "company": company, "title": renderer.text("title_done", language: chosen),
            "paragraphs": [renderer.text(body, language: chosen, ["company": company])],
        ]))
    }

    // MARK: Pages

    typealias FormState = PageRenderer.FormState

    /// The form, or what stands in its place: the already-opted-out notice or the lockout.
    private func page(
        for found: Found, language: String, request: Request, form: FormState, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let company = found.company
        let masked = found.link.phone.masked
        let path = "/\(found.link.code)"
        if let suppression = found.suppression, suppression.scope.covers(company.optOutScope) {
            let key = suppression.scope == .all ? "body_already_all" : "body_already"
            let date = Self.dateText(suppression.since, language: language)
            return html(.ok, try renderer.render("message", language: language, values: [
                "company": company.name, "title": renderer.text("title_already", language: language),
                "paragraphs": [renderer.text(key, language: language, ["masked": masked, "company": company.name, "date": date])],
            ]))
        }
        if Self.lockout.isLocked(wrongNumbers: found.wrongNumbers) {
            return html(status == .ok ? .tooManyRequests : status, try renderer.render("message", language: language, values: [
                "company": company.name, "title": renderer.text("title_locked", language: language),
                "paragraphs": [renderer.text("body_locked", language: language, ["company": company.name])],
            ]))
        }
        return html(status, try renderer.recipientForm(
            company: company, language: language, masked: masked, action: "\(path)?lang=\(language)",
            token: formToken.issue(code: found.link.code, at: clock.now()), form: form
        ))
    }

    func notFound(_ request: Request, language: String) throws -> Response {
        try message(.notFound, "not_found", language: language)
    }

    /// A page with a title and one paragraph from the locale table (`title_NAME`, `body_NAME`).
    func message(_ status: HTTPResponse.Status, _ name: String, language: String) throws -> Response {
        html(status, try renderer.render("message", language: language, values: [
            "title": renderer.text("title_\(name)", language: language),
            "paragraphs": [renderer.text("body_\(name)", language: language)],
        ]))
    }

    /// The recipient's 429 page, with `Retry-After`.
    func tooManyRequests(retryAfter: Int, language: String) throws -> Response {
        var response = try message(.tooManyRequests, "rate_limited", language: language)
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }

    private func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    private func redirectToDone(_ code: String, language: String) -> Response {
        Response(status: .seeOther, headers: [.location: "/\(code)/done?lang=\(language)"])
    }

    // MARK: Rules

    /// The link, its company, the number's suppression and the wrong numbers typed on it.
    typealias Found = Landing

    /// A client that asked for too many unknown codes gets 429 for every code, known or not,
    /// until its allowance is back: the answer tells it nothing about which codes exist.
    private func refusedLookup(client: String, request: Request, context: AppRequestContext) async throws -> Response? {
        guard let wait = await abuse.check(abuse.limits.unknownCode, key: client, consume: false, logger: context.logger) else {
            return nil
        }
        return try tooManyRequests(retryAfter: wait, language: chooseLanguage(request, company: nil))
    }

    /// 404 for a code that does not exist, charged to the client's `unknown_code` allowance
    /// (refused here only when parallel lookups used it up between the check and the charge).
    private func unknownCode(client: String, request: Request, context: AppRequestContext) async throws -> Response {
        let language = chooseLanguage(request, company: nil)
        if let wait = await abuse.check(abuse.limits.unknownCode, key: client, logger: context.logger) {
            return try tooManyRequests(retryAfter: wait, language: language)
        }
        return try notFound(request, language: language)
    }

    /// A malformed code is looked up as a placeholder that never exists, so it costs the same
    /// and answers the same as an unknown one.
    private func lookUp(_ code: String) async throws -> Found? {
        let normalised = ShortCode.normalise(code) ?? ShortCode.placeholder
        return try await store.landing(code: normalised, wrongNumbersSince: Self.lockout.windowStart(at: clock.now()))
    }

    private func chooseLanguage(_ request: Request, company: Company?) -> String {
        Language.choose(
            query: request.uri.queryParameters.get("lang"),
            acceptLanguage: request.headers[.acceptLanguage],
            companyDefault: company?.defaultLanguage
        )
    }

    /// A post from another site: the browser says so (`Sec-Fetch-Site`), or names a foreign
    /// `Origin`. `Origin: null` is what browsers send under `Referrer-Policy: no-referrer`,
    /// so it is left to the form token.
    private func isCrossSite(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite], site.lowercased() == "cross-site" { return true }
        guard let origin = request.headers[.origin]?.lowercased(), origin != "null" else { return false }
        if allowedOrigins.contains(origin) { return false }
        if let host = request.head.authority?.lowercased(),
           origin == "http://\(host)" || origin == "https://\(host)" { return false }
        return true
    }

    private func visit(to link: StoplinkStore.Link, request: Request, context: AppRequestContext) -> Visit {
        let agent = request.headers[.userAgent]
        let hints = [HTTPField.Name.secPurpose, .purpose, .xPurpose, .xMoz].compactMap { request.headers[$0] }
        let kind = VisitClassifier.classify(method: request.method.rawValue, userAgent: agent, purposeHints: hints)
        let address = context.remoteAddress?.ipAddress ?? ""
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(address)|\(agent ?? "")".utf8), using: SymmetricKey(data: visitorKey)
        )
        let visitor = Hex.encode(Data(mac).prefix(12))
        return Visit(linkID: link.id, kind: kind, visitor: visitor, at: clock.now())
    }

    static func dateText(_ date: Date, language: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: language)
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateStyle = .long
        formatter.timeStyle = .none
        return formatter.string(from: date)
    }
}
