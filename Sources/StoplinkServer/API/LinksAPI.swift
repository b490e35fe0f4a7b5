import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// `POST /api/v1/campaigns/{ref}/links`: one code per recipient, idempotent per (campaign, phone).
/// JSON in (up to 100,000 recipients) or CSV in (any size, streamed); JSON or CSV out per `Accept`.
/// Every input line comes back, with its link or with the reason it could not be read.
struct LinksAPI: Sendable {
    static let maximumJSONRecipients = 100_000

    let store: any Store
    let config: AppConfig
    let clock: any WallClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("campaigns/{ref}/links", use: issue)
    }

    struct IssueRequest: Decodable, KnownFields {
        static let knownFields: Set<String> = ["recipients"]
        var recipients: [String]
    }

    /// One input line on its way out: a readable number waiting for its code, or an error.
    enum Row {
        case number(line: Int, phone: PhoneNumber)
        case unreadable(LineError)
    }

    @Sendable func issue(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let campaign = try await CampaignsAPI.campaign(context.parameters.get("ref") ?? "", of: company, in: store)
        let answerCSV = request.acceptsCSV
        let contentType = request.headers[.contentType]?.lowercased() ?? "application/json"
        if request.sendsCSV {
            return try await issueFromCSV(request, company: company, campaign: campaign, answerCSV: answerCSV)
        }
        guard contentType.hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send application/json or text/csv")
        }
        let body = try await APIJSON.decode(IssueRequest.self, from: request)
        guard body.recipients.count <= Self.maximumJSONRecipients else {
            throw APIError(
                .contentTooLarge, "too_many_recipients",
                "at most \(Self.maximumJSONRecipients) recipients per JSON request; send a CSV body for more"
            )
        }
        let rows = body.recipients.enumerated().map { index, input in
            Self.read(input, line: index + 1, region: company.defaultCountry)
        }
        let issued = try await issueBatch(rows, campaign: campaign)
        if answerCSV {
            var text = CSVWriter.row(Self.csvColumns)
            for row in issued { text += csvRow(row) }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        struct Answer: Encodable {
            var links: [LinkView]
            var errors: [LineError]
        }
        var answer = Answer(links: [], errors: [])
        for row in issued {
            switch row {
            case .issued(_, let link): answer.links.append(LinkView(link, config: config))
            case .unreadable(let error): answer.errors.append(error)
            }
        }
        return try APIJSON.response(answer)
    }

    // MARK: CSV

    static let csvColumns = ["line", "phone", "code", "url", "error"]

    /// Reads the first line before answering, so a file without a phone column gets a plain 422;
    /// the rest is read, issued and written batch by batch in constant memory.
    private func issueFromCSV(_ request: Request, company: Company, campaign: Campaign, answerCSV: Bool) async throws -> Response {
        let cursor = BodyCursor(request.body.makeAsyncIterator())
        var reader = RecipientCSVReader()
        var firstLines: [RecipientLine] = []
        do {
            while reader.layout == nil, let chunk = try await cursor.next() {
                firstLines = try reader.feed(chunk.readableBytesView)
            }
            if reader.layout == nil { firstLines = try reader.finish() }
        } catch let error as RecipientCSVError {
            throw APIError(.unprocessableContent, error.code, error.description)
        }
        let pending = firstLines
        let region = company.defaultCountry
        let readerState = reader
        let body = ResponseBody { writer in
            var reader = readerState
            var output = answerCSV ? CSVStreamOutput() as any LinkStreamOutput : JSONStreamOutput(config: config)
            try await writer.write(ByteBuffer(string: output.start()))
            var rows: [Row] = []
            func flush() async throws {
                guard !rows.isEmpty else { return }
                let issued = try await issueBatch(rows, campaign: campaign)
                rows.removeAll(keepingCapacity: true)
                var text = ""
                for row in issued { text += try output.row(row, writer: self) }
                try await writer.write(ByteBuffer(string: text))
            }
            func take(_ lines: [RecipientLine]) async throws {
                for line in lines {
                    rows.append(Self.read(line.phone, line: line.line, region: region))
                    if rows.count >= RecipientCSVReader.batchSize { try await flush() }
                }
            }
            do {
                try await take(pending)
                while let chunk = try await cursor.next() {
                    try await take(reader.feed(chunk.readableBytesView))
                }
                try await take(reader.finish())
            } catch let error as RecipientCSVError {
                // Lines read so far are issued; the unreadable rest is reported, then skipped.
                rows.append(.unreadable(LineError(line: error.line ?? 0, input: "", reason: error.description)))
                while try await cursor.next() != nil {}
            }
            try await flush()
            try await writer.write(ByteBuffer(string: try output.end()))
            try await writer.finish(nil)
        }
        let contentType = answerCSV ? "text/csv; charset=utf-8" : "application/json; charset=utf-8"
        return Response(status: .ok, headers: [.contentType: contentType], body: body)
    }

    // MARK: Issuing

    enum Issued {
        case issued(line: Int, link: StoplinkStore.Link)
        case unreadable(LineError)
    }

    static func read(_ input: String, line: Int, region: String) -> Row {
        do {
            return .number(line: line, phone: try PhoneNumber(parsing: input, defaultRegion: region))
        } catch {
            // The input is echoed back; a 64 KB junk cell need not be.
            return .unreadable(LineError(line: line, input: String(input.prefix(100)), reason: error.description))
        }
    }

    /// Issues the readable numbers of `rows` in one transaction; answers every row in order.
    func issueBatch(_ rows: [Row], campaign: Campaign) async throws -> [Issued] {
        let phones = rows.compactMap { row -> PhoneNumber? in
            if case .number(_, let phone) = row { return phone }
            return nil
        }
        var links = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: config.codeLength, at: clock.now())
            .makeIterator()
        return rows.compactMap { row in
            switch row {
            case .number(let line, _): links.next().map { .issued(line: line, link: $0) }
            case .unreadable(let error): .unreadable(error)
            }
        }
    }

    func csvRow(_ row: Issued) -> String {
        switch row {
        case .issued(let line, let link):
            CSVWriter.row([String(line), link.phone.e164, link.code, config.url(of: link.code), ""])
        case .unreadable(let error):
            CSVWriter.row([String(error.line), CSVWriter.field(error.input, guardFormula: true), "", "", CSVWriter.field(error.reason)])
        }
    }
}

struct LinkView: Encodable {
    var phone: String
    var code: String
    var url: String

    init(_ link: StoplinkStore.Link, config: AppConfig) {
        phone = link.phone.e164
        code = link.code
        url = config.url(of: link.code)
    }
}

/// How a streamed answer is framed: CSV rows, or a JSON object whose errors come last.
protocol LinkStreamOutput {
    mutating func start() -> String
    mutating func row(_ row: LinksAPI.Issued, writer: LinksAPI) throws -> String
    mutating func end() throws -> String
}

struct CSVStreamOutput: LinkStreamOutput {
    func start() -> String { CSVWriter.row(LinksAPI.csvColumns) }
    func row(_ row: LinksAPI.Issued, writer: LinksAPI) -> String { writer.csvRow(row) }
    func end() -> String { "" }
}

struct JSONStreamOutput: LinkStreamOutput {
    let config: AppConfig
    var wroteLink = false
    /// Unreadable lines are kept until the links are written (the CSV answer has no such limit).
    static let maximumErrors = 10_000
    var errors: [LineError] = []
    var omitted = 0

    init(config: AppConfig) {
        self.config = config
    }

    func start() -> String { "{\"links\":[" }

    mutating func row(_ row: LinksAPI.Issued, writer: LinksAPI) throws -> String {
        switch row {
        case .issued(_, let link):
            let data = try APIJSON.encoder.encode(LinkView(link, config: config))
            defer { wroteLink = true }
            return (wroteLink ? "," : "") + String(decoding: data, as: UTF8.self)
        case .unreadable(let error):
            if errors.count < Self.maximumErrors { errors.append(error) } else { omitted += 1 }
            return ""
        }
    }

    func end() throws -> String {
        let data = try APIJSON.encoder.encode(errors)
        return "],\"errors\":" + String(decoding: data, as: UTF8.self) + (omitted > 0 ? ",\"errors_omitted\":\(omitted)" : "") + "}"
    }
}

/// The request body's iterator, handed from the handler (which reads the header) to the
/// response writer (which reads the rest). Only one task uses it at a time, in turn.
final class BodyCursor: @unchecked Sendable {
    private var iterator: RequestBody.AsyncIterator

    init(_ iterator: RequestBody.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> ByteBuffer? {
        try await iterator.next()
    }
}
