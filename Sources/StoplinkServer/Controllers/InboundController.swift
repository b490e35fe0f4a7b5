import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StoplinkCore
import StoplinkStore

/// STOP replies forwarded by SMS gateways: `POST /inbound/twilio` (form fields, `X-Twilio-Signature`)
/// and `POST /inbound/generic` (JSON signed like our own webhooks). The `To` number picks the
/// company; each gateway message id is processed once, forever: a retry gets the first answer,
/// another message reusing the id gets 409.
struct InboundController: Sendable {
    static let maximumBodyBytes = 64 * 1024
    static let twilioSignatureHeader = HTTPField.Name("X-Twilio-Signature")!

    let store: any Store
    let renderer: PageRenderer
    let clock: any WallClock
    let publicURL: String
    let abuse: AbuseLimits
    let metrics: StoplinkMetrics

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("inbound/twilio", use: twilio)
        router.post("inbound/generic", use: generic)
    }

    // MARK: Twilio

    @Sendable func twilio(request: Request, context: AppRequestContext) async throws -> Response {
        // Unsigned requests are refused before anything is looked up: no probing which numbers exist.
        guard let signature = request.headers[Self.twilioSignatureHeader] else {
            context.logger.notice("refused an inbound Twilio message without a signature")
            return Response(status: .unauthorized, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "missing signature\n")))
        }
        let body = try await collect(request)
        let pairs = try Self.formPairs(body)
        let fields = FormBody.fields(pairs)
        guard let company = try await company(for: fields["To"] ?? "", context: context) else {
            return Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "unknown number\n")))
        }
        let url = publicURL + "/inbound/twilio" + (request.uri.query.map { "?\($0)" } ?? "")
        guard let token = company.twilioAuthToken,
              TwilioSignature.isValid(signature, authToken: token, url: url, parameters: pairs) else {
            context.logger.notice("refused an inbound Twilio message with a missing or wrong signature")
            return Response(status: .forbidden, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "bad signature\n")))
        }
        if let wait = await overLimit(to: fields["To"] ?? "", context: context) {
            var response = twiml(nil, status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        guard let messageID = fields["MessageSid"] ?? fields["SmsMessageSid"], !messageID.isEmpty,
              let from = try? PhoneNumber(parsing: fields["From"] ?? "", defaultRegion: company.defaultCountry) else {
            return twiml(nil, status: .badRequest)
        }
        let record = try await process(InboundMessage(
            companyID: company.id, gateway: .twilio, messageID: messageID, from: from, to: fields["To"] ?? "",
            text: fields["Body"] ?? "", receivedAt: clock.now()
        ), company: company, context: context)
        // Another message under a processed MessageSid: nothing was recorded, so no confirmation.
        if record.idReused { return twiml(nil, status: .conflict) }
        return twiml(record.reply)
    }

    private func twiml(_ reply: String?, status: HTTPResponse.Status = .ok) -> Response {
        let xml = reply.map { "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>\(Self.escapeXML($0))</Message></Response>" }
            ?? "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
        return Response(status: status, headers: [.contentType: "application/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    // MARK: Generic

    struct GenericMessage: Decodable {
        var id: String
        var from: String
        var to: String
        var text: String
        var receivedAt: String?

        enum CodingKeys: String, CodingKey { case id, from, to, text, receivedAt = "received_at" }
    }

    @Sendable func generic(request: Request, context: AppRequestContext) async throws -> Response {
        guard let id = request.headers[HTTPField.Name("webhook-id")!],
              let timestamp = request.headers[HTTPField.Name("webhook-timestamp")!],
              let signature = request.headers[HTTPField.Name("webhook-signature")!] else {
            context.logger.notice("refused an inbound message without a signature")
            throw APIError(.unauthorized, "missing_signature", "sign the request: webhook-id, webhook-timestamp and webhook-signature")
        }
        let body = try await collect(request)
        let message: GenericMessage
        do {
            message = try JSONDecoder().decode(GenericMessage.self, from: Data(body.readableBytesView))
        } catch {
            throw APIError(.badRequest, "invalid_json", "expected {\"id\", \"from\", \"to\", \"text\", \"received_at\"}")
        }
        guard let company = try await company(for: message.to, context: context) else {
            throw APIError.notFound("number")
        }
        let now = clock.now()
        guard let secret = try await store.inboundSecret(companyID: company.id),
              let timestamp = SignatureHeaders.webhookTimestamp(timestamp),
              WebhookSignature.verify(header: signature, id: id, timestamp: timestamp, body: Data(body.readableBytesView), secret: secret, now: now)
        else {
            context.logger.notice("refused an inbound message with a missing or wrong signature")
            throw APIError(.forbidden, "bad_signature", "the webhook signature is missing, wrong or too old")
        }
        if let wait = await overLimit(to: message.to, context: context) { throw APIError.rateLimited(retryAfter: wait) }
        let from: PhoneNumber
        do {
            from = try PhoneNumber(parsing: message.from, defaultRegion: company.defaultCountry)
        } catch {
            throw APIError.invalid("from", error.description)
        }
        let receivedAt = message.receivedAt.flatMap(APIJSON.parseTimestamp).map { min($0, now) } ?? now
        let record = try await process(InboundMessage(
            companyID: company.id, gateway: .generic, messageID: message.id, from: from, to: message.to, text: message.text,
            receivedAt: receivedAt
        ), company: company, context: context)
        if record.idReused {
            throw APIError(.conflict, "message_id_reused", "this message id was already processed for another message; nothing was recorded")
        }
        struct Answer: Encodable {
            var action: InboundAction
            @Nullable var reply: String?
        }
        return try APIJSON.response(Answer(action: record.action, reply: record.reply))
    }

    // MARK: Shared

    /// Reads the text, decides, and records; a replayed message id answers as the first time.
    private func process(_ message: InboundMessage, company: Company, context: AppRequestContext) async throws -> InboundRecord {
        let language = Language.ofCountry(PhoneMetadata.region(ofE164: message.from.e164)) ?? company.defaultLanguage
        let decision = InboundDecision.decide(
            text: message.text, language: language, receivedAt: message.receivedAt,
            keywords: KeywordKind.lists(from: company.keywords), policy: company.inboundPolicy, scope: company.optOutScope,
            helpText: company.helpText, confirmationText: company.confirmationText,
            standardReply: { reply, language in renderer.text(reply.rawValue, language: language, ["company": company.name]) }
        )
        let record = try await store.processInbound(message, decision: decision)
        if record.action == .optOut, !record.replayed, !record.idReused { metrics.optOuts(source: .keyword) }
        context.logger.info("inbound message", metadata: [
            "action": "\(record.action.rawValue)", "from": "\(message.from.masked)", "replayed": "\(record.replayed)",
            "id_reused": "\(record.idReused)",
        ])
        return record
    }

    /// Seconds to wait when the destination number is over its `inbound` allowance. Counted
    /// only once the signature holds, so forged requests cannot use up a number's allowance
    /// and silence its real STOP replies.
    private func overLimit(to: String, context: AppRequestContext) async -> Int? {
        await abuse.check(abuse.limits.inbound, key: SMSNumber.normalise(to) ?? to, logger: context.logger)
    }

    /// The company owning the number a reply was sent to (E.164, or a short code's digits).
    private func company(for to: String, context: AppRequestContext) async throws -> Company? {
        var company: Company?
        if let number = SMSNumber.normalise(to) { company = try await store.company(forNumber: number) }
        if company == nil { context.logger.notice("inbound message to an unknown number", metadata: ["to": "\(PhoneNumber.mask(to))"]) }
        return company
    }

    private func collect(_ request: Request) async throws -> ByteBuffer {
        try await request.collectBody(upTo: Self.maximumBodyBytes, limit: "inbound messages are limited to 64 KB")
    }

    /// Form fields in order, as Twilio signs them.
    static func formPairs(_ body: ByteBuffer) throws -> [(String, String)] {
        do {
            return try FormBody.pairs(body.readableBytesView)
        } catch {
            throw APIError(.badRequest, "invalid_form", "the form body cannot be read")
        }
    }

    static func escapeXML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
