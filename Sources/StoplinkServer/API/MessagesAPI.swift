import Foundation
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// `POST /api/v1/messages/prepare`: a message text and its recipients → the text with the right
/// opt-out line for each destination, its link (issued as the links endpoint does, or a
/// placeholder of the same length in `preview`), the encoding and what the message will cost.
struct MessagesAPI: Sendable {
    static let maximumRecipients = 10_000
    static let maximumTextLength = 2_000

    let store: any Store
    let config: AppConfig
    let clock: any WallClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("messages/prepare", use: prepare)
    }

    struct PrepareRequest: Decodable, KnownFields {
        static let knownFields: Set<String> = ["campaign", "to", "recipients", "text", "purpose", "preview"]
        var campaign: String
        var to: String?
        var recipients: [String]?
        var text: String
        var purpose: Purpose?
        var preview: Bool?
    }

    struct Prepared: Encodable {
        var to: String
        var text: String?
        var line: String?
        var rule: String?
        var link: String?
        var code: String?
        var encoding: String?
        var characters: Int?
        var segments: Int?
        var remaining: Int?
        var warnings: [MessageWarning]?
        var error: String?
    }

    @Sendable func prepare(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let body = try await Self.read(request)
        let campaign = try await CampaignsAPI.campaign(body.campaign, of: company, in: store)
        guard body.text.count <= Self.maximumTextLength else {
            throw APIError.invalid("text", "at most \(Self.maximumTextLength) characters")
        }
        let inputs: [String]
        switch (body.to, body.recipients) {
        case (let to?, nil): inputs = [to]
        case (nil, let recipients?): inputs = recipients
        default: throw APIError.invalid("to", "give either to (one number) or recipients (a list)")
        }
        guard inputs.count <= Self.maximumRecipients else {
            throw APIError(.contentTooLarge, "too_many_recipients", "at most \(Self.maximumRecipients) recipients per request")
        }
        let results = try await prepare(
            inputs, text: body.text, purpose: body.purpose ?? campaign.purpose, preview: body.preview ?? false,
            company: company, campaign: campaign
        )
        if request.acceptsCSV {
            var csv = CSVWriter.row(["to", "text", "link", "encoding", "characters", "segments", "remaining", "rule", "error"])
            for result in results {
                // `text` is what a platform sends, so it goes out exactly as it is; only the echoed input and the error are guarded.
                csv += CSVWriter.row([
                    CSVWriter.field(result.to, guardFormula: result.error != nil), CSVWriter.field(result.text ?? ""),
                    result.link ?? "", result.encoding ?? "", result.characters.map(String.init) ?? "", result.segments.map(String.init) ?? "",
                    result.remaining.map(String.init) ?? "", CSVWriter.field(result.rule ?? ""), CSVWriter.field(result.error ?? "", guardFormula: true),
                ])
            }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: csv)))
        }
        if body.to != nil, let single = results.first {
            if let error = single.error { throw APIError.invalid("to", error) }
            return try APIJSON.response(single)
        }
        struct Answer: Encodable { var results: [Prepared] }
        return try APIJSON.response(Answer(results: results))
    }

    /// JSON, or a CSV of recipients (a phone column, or one number a line) with the rest in the query:
    /// `?campaign=REF&text=...&purpose=marketing&preview=true`.
    static func read(_ request: Request) async throws -> PrepareRequest {
        let query = request.uri.queryParameters
        // Checked for JSON bodies too: a purpose the client meant must never be silently dropped.
        let purpose = try query.get("purpose").map { value -> Purpose in
            guard let purpose = Purpose(rawValue: value) else { throw APIError.invalid("purpose", "must be marketing, informational or transactional") }
            return purpose
        }
        let previews = query.getAll("preview")
        guard previews.allSatisfy({ $0 == "true" || $0 == "false" }), Set(previews).count <= 1 else {
            throw APIError.invalid("preview", "must be true or false, given once")
        }
        let preview = previews.first.map { $0 == "true" }
        guard request.sendsCSV else {
            var prepare = try await APIJSON.decode(PrepareRequest.self, from: request)
            if let preview {
                guard prepare.preview == nil || prepare.preview == preview else {
                    throw APIError.invalid("preview", "the query and the body say different things")
                }
                prepare.preview = preview
            }
            if let purpose {
                guard prepare.purpose == nil || prepare.purpose == purpose else {
                    throw APIError.invalid("purpose", "the query and the body name different purposes")
                }
                prepare.purpose = purpose
            }
            return prepare
        }
        guard let campaign = query.get("campaign"), let text = query.get("text") else {
            throw APIError.invalid("campaign", "a CSV batch takes campaign and text as query parameters")
        }
        let buffer = try await request.collectBody(upTo: APIJSON.maximumBodyBytes, limit: "CSV batches are limited to 8 MB")
        let recipients: [String]
        do {
            recipients = try RecipientCSVReader.read(buffer.readableBytesView).map(\.phone)
        } catch {
            throw APIError(.unprocessableContent, error.code, error.description)
        }
        return PrepareRequest(campaign: campaign, recipients: recipients, text: text, purpose: purpose, preview: preview ?? false)
    }

    private func prepare(
        _ inputs: [String], text: String, purpose: Purpose, preview: Bool, company: Company, campaign: Campaign
    ) async throws -> [Prepared] {
        let read = inputs.map { input -> Result<PhoneNumber, PhoneNumberError> in
            Result { () throws(PhoneNumberError) in try PhoneNumber(parsing: input, defaultRegion: company.defaultCountry) }
        }
        let preparation = MessagePreparation(
            text: text, purpose: purpose, rules: company.messageRules, defaultLanguage: company.defaultLanguage,
            replyNumbers: try await store.numbers(companyID: company.id), linkBase: config.publicURL
        )
        var codes: [PhoneNumber: String] = [:]
        if preparation.wantsLine && !preview {
            let readable = read.compactMap { try? $0.get() }
            for link in try await store.issueLinks(campaign: campaign, phones: readable, codeLength: config.codeLength, at: clock.now()) {
                codes[link.phone] = link.code
            }
        }
        let placeholder = String(repeating: "x", count: config.codeLength)
        return zip(inputs, read).map { input, result in
            let phone: PhoneNumber
            switch result {
            case .success(let read): phone = read
            case .failure(let error): return Prepared(to: input, error: error.description)
            }
            let code = preparation.wantsLine ? (preview ? placeholder : codes[phone]) : nil
            let link = code.map { MessagePreparation.display(config.url(of: $0), short: company.messageRules.shortLinks) }
            let message = preparation.prepare(for: phone, link: link)
            let linked = message.line.kind == .link
            return Prepared(
                to: phone.e164, text: message.text, line: message.line.text, rule: message.line.rule, link: linked ? link : nil,
                code: linked ? code : nil, encoding: message.encoding.scheme.rawValue, characters: message.encoding.units,
                segments: message.encoding.segments, remaining: message.encoding.remaining, warnings: message.warnings
            )
        }
    }
}
