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

    struct Warning: Encodable, Equatable {
        var code: String
        var message: String
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
        var warnings: [Warning]?
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
                csv += CSVWriter.row([
                    CSVWriter.field(result.to, guardFormula: result.error != nil), CSVWriter.field(result.text ?? "", guardFormula: true),
                    result.link ?? "", result.encoding ?? "", result.characters.map(String.init) ?? "", result.segments.map(String.init) ?? "",
                    result.remaining.map(String.init) ?? "", CSVWriter.field(result.rule ?? ""), CSVWriter.field(result.error ?? ""),
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

    /// JSON, or a CSV of recipients (a `phone` column) with the rest in the query:
    /// `?campaign=REF&text=...&purpose=marketing&preview=true`.
    static func read(_ request: Request) async throws -> PrepareRequest {
        guard request.sendsCSV else {
            return try await APIJSON.decode(PrepareRequest.self, from: request)
        }
        let query = request.uri.queryParameters
        guard let campaign = query.get("campaign"), let text = query.get("text") else {
            throw APIError.invalid("campaign", "a CSV batch takes campaign and text as query parameters")
        }
        let purpose = try query.get("purpose").map { value -> Purpose in
            guard let purpose = Purpose(rawValue: value) else { throw APIError.invalid("purpose", "must be marketing, informational or transactional") }
            return purpose
        }
        let buffer = try await request.collectBody(upTo: APIJSON.maximumBodyBytes, limit: "CSV batches are limited to 8 MB")
        let records: [CSVRecord]
        do {
            records = try CSVReader.records(of: buffer.readableBytesView)
        } catch {
            throw APIError(.unprocessableContent, "invalid_csv", error.description)
        }
        guard let header = records.first, let column = CSVHeader.column("phone", in: header.fields) else {
            throw APIError(.unprocessableContent, "missing_phone_column", CSVHeader.missingColumnMessage("phone", header: records.first?.fields ?? []))
        }
        let recipients = records.dropFirst().map { $0.fields.indices.contains(column) ? $0.fields[column] : "" }
        return PrepareRequest(campaign: campaign, recipients: recipients, text: text, purpose: purpose, preview: query.get("preview") == "true")
    }

    private func prepare(
        _ inputs: [String], text: String, purpose: Purpose, preview: Bool, company: Company, campaign: Campaign
    ) async throws -> [Prepared] {
        var readable: [PhoneNumber] = []
        let read = inputs.map { input -> Result<PhoneNumber, PhoneNumberError> in
            Result { () throws(PhoneNumberError) in try PhoneNumber(parsing: input, defaultRegion: company.defaultCountry) }
        }
        for case .success(let phone) in read { readable.append(phone) }
        let rules = company.messageRules
        let wantsLine = rules.purposes.contains(purpose)
        var codes: [PhoneNumber: String] = [:]
        if wantsLine && !preview {
            for link in try await store.issueLinks(campaign: campaign, phones: readable, codeLength: config.codeLength, at: clock.now()) {
                codes[link.phone] = link.code
            }
        }
        // A destination can reply when the company has a long number with its calling code.
        let numbers = try await store.numbers(companyID: company.id)
        let placeholder = String(repeating: "x", count: config.codeLength)
        let alone = SMSEncoding(text)
        let base = Self.display(config.publicURL, short: rules.shortLinks)
        return zip(inputs, read).map { input, result in
            guard case .success(let phone) = result else {
                if case .failure(let error) = result { return Prepared(to: input, error: error.description) }
                return Prepared(to: input, error: "unreadable")
            }
            let region = PhoneMetadata.region(ofE164: phone.e164)
            let language = Language.ofCountry(region) ?? company.defaultLanguage
            let code = wantsLine ? (preview ? placeholder : codes[phone]) : nil
            let link = code.map { Self.display(config.url(of: $0), short: rules.shortLinks) }
            let callingCode = region.flatMap(PhoneMetadata.callingCode(ofRegion:)).map { "+\($0)" }
            let takesReplies = callingCode.map { code in numbers.contains { $0.hasPrefix(code) } } ?? false
            let line = OptOutLine.choose(
                rules: rules, purpose: purpose, country: region, language: language, takesReplies: takesReplies, link: link ?? ""
            )
            let final = line.text.map { text + "\n" + $0 } ?? text
            let encoding = SMSEncoding(final)
            var warnings: [Warning] = []
            if line.text != nil, OptOutLine.alreadyPresent(in: text, linkBase: base) {
                warnings.append(Warning(code: "opt_out_already_present", message: "the text already seems to carry an opt-out instruction"))
            }
            if let culprit = encoding.firstNonGSM {
                warnings.append(Warning(
                    code: "ucs2", message: "\"\(culprit.character)\" at position \(culprit.position) is not in GSM-7: the message is sent as UCS-2 (70 characters a part)"
                ))
            }
            if encoding.segments > alone.segments {
                warnings.append(Warning(code: "extra_segment", message: "the opt-out line takes the message from \(alone.segments) to \(encoding.segments) parts"))
            }
            return Prepared(
                to: phone.e164, text: final, line: line.text, rule: line.rule, link: line.kind == .link ? link : nil,
                code: line.kind == .link ? code : nil, encoding: encoding.scheme.rawValue, characters: encoding.units,
                segments: encoding.segments, remaining: encoding.remaining, warnings: warnings
            )
        }
    }

    /// A link as written in a message: without its scheme when the company wants short messages.
    static func display(_ url: String, short: Bool) -> String {
        guard short else { return url }
        for scheme in ["https://", "http://"] where url.hasPrefix(scheme) { return String(url.dropFirst(scheme.count)) }
        return url
    }
}
