import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// `GET /api/v1/feed`, `feed.csv`, `feed.ndjson`: the company's consent events after a cursor,
/// oldest first. The end of a response is fixed when it starts (the newest event then), so the
/// next cursor is known up front, goes in `X-Next-Cursor`, and nothing written meanwhile is
/// skipped: it comes after that cursor. SQLite commits one writer at a time, so sequence
/// numbers become visible in order.
struct FeedAPI: Sendable {
    static let maximumJSONLimit = 10_000
    static let pageSize = 5_000
    static let csvColumns = ["seq", "occurred_at", "action", "phone", "scope", "source", "campaign", "reason"]
    static let nextCursorHeader = HTTPField.Name("X-Next-Cursor")!

    let store: any Store

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("feed", use: json)
        group.get("feed.csv", use: csv)
        group.get("feed.ndjson", use: ndjson)
    }

    enum Format { case csv, ndjson }

    /// The opaque cursor: `v2:` and the company's own sequence number, base64url. Cursors given
    /// out before events were numbered per company (`v1:` and the shared row id) still work:
    /// they resume after the company's newest event at or below that row.
    enum Cursor {
        enum Position: Equatable { case seq(Int64), legacy(Int64) }

        static func encode(_ seq: Int64) -> String { Base64URL.encode(Data("v2:\(seq)".utf8)) }

        static func decode(_ text: String?) throws -> Position {
            guard let text, !text.isEmpty else { return .seq(0) }
            guard let data = Base64URL.decode(text), let plain = String(data: data, encoding: .utf8),
                  plain.hasPrefix("v2:") || plain.hasPrefix("v1:"), let number = Int64(plain.dropFirst(3)), number >= 0 else {
                throw APIError(.badRequest, "invalid_cursor", "the cursor is not one this feed gave out")
            }
            return plain.hasPrefix("v2:") ? .seq(number) : .legacy(number)
        }
    }

    struct Window {
        var company: Company
        var after: Int64
        var head: Int64
        var etag: String
    }

    /// The part of the feed a request reads, and the 304 when nothing is new.
    private func window(_ request: Request, _ context: AppRequestContext) async throws -> (Window, Response?) {
        let company = try context.requireCompany()
        let after: Int64
        switch try Cursor.decode(request.uri.queryParameters.get("cursor")) {
        case .seq(let seq): after = seq
        case .legacy(let rowID): after = try await store.feedPosition(companyID: company.id, legacySeq: rowID)
        }
        let head = try await store.feedHead(companyID: company.id)
        let state = request.uri.queryParameters.get("state")
        if let state, state != "current" { throw APIError.invalid("state", "must be current, or absent for events") }
        // The tag names the request's whole window (and page size), so a 304 means "the answer
        // you kept is still right"; it carries no cursor of its own for that reason.
        let query = request.uri.queryParameters
        let page = [query.get("limit"), query.get("after_phone")].map { $0 ?? "" }.joined(separator: "-")
        let etag = "\"\(state ?? "events")-\(after)-\(max(head, after))-\(page)\""
        let window = Window(company: company, after: after, head: max(head, after), etag: etag)
        if request.headers[.ifNoneMatch] == etag {
            return (window, Response(status: .notModified, headers: [.eTag: etag]))
        }
        return (window, nil)
    }

    @Sendable func json(request: Request, context: AppRequestContext) async throws -> Response {
        let (window, notModified) = try await window(request, context)
        if let notModified { return notModified }
        let limit = try CampaignsAPI.integer(
            request.uri.queryParameters.get("limit"), name: "limit", default: 1_000, range: 1...Self.maximumJSONLimit
        )
        struct Answer: Encodable {
            var events: [ConsentEventView]?
            var suppressions: [SuppressionView]?
            /// With `state=current`: pass as `after_phone` for the next page; absent on the last.
            var nextAfterPhone: String?
            var nextCursor: String
        }
        var answer: Answer
        if request.uri.queryParameters.get("state") == "current" {
            let afterPhone = request.uri.queryParameters.get("after_phone")
            let rows = try await store.suppressions(companyID: window.company.id, afterPhone: afterPhone, limit: limit)
            // Only the first page of a snapshot knows where the events continue; later pages echo
            // the cursor the client sends along (none: from the start, which repeats but never skips).
            answer = Answer(
                suppressions: rows.map(SuppressionView.init),
                nextAfterPhone: rows.count == limit ? rows.last?.phone.e164 : nil,
                nextCursor: Cursor.encode(afterPhone == nil ? window.head : window.after)
            )
        } else {
            let events = try await store.events(companyID: window.company.id, after: window.after, upTo: window.head, limit: limit)
            let next = events.last?.seq ?? window.after
            answer = Answer(events: events.map(ConsentEventView.init), nextCursor: Cursor.encode(next))
        }
        var response = try APIJSON.response(answer)
        response.headers[Self.nextCursorHeader] = answer.nextCursor
        response.headers[.eTag] = window.etag
        return response
    }

    @Sendable func csv(request: Request, context: AppRequestContext) async throws -> Response {
        try await stream(request, context, format: .csv)
    }

    @Sendable func ndjson(request: Request, context: AppRequestContext) async throws -> Response {
        try await stream(request, context, format: .ndjson)
    }

    /// Streams the window page by page: memory stays the same whatever the feed's size.
    private func stream(_ request: Request, _ context: AppRequestContext, format: Format) async throws -> Response {
        let (window, notModified) = try await window(request, context)
        if let notModified { return notModified }
        let store = store
        let current = request.uri.queryParameters.get("state") == "current"
        let body = ResponseBody { writer in
            if format == .csv {
                let columns = current ? ["phone", "scope", "since", "source", "campaign"] : Self.csvColumns
                try await writer.write(ByteBuffer(string: CSVWriter.row(columns)))
            }
            if current {
                var afterPhone: String?
                while true {
                    let page = try await store.suppressions(companyID: window.company.id, afterPhone: afterPhone, limit: Self.pageSize)
                    guard let last = page.last else { break }
                    try await writer.write(ByteBuffer(string: page.map { try Self.line($0, format: format) }.joined()))
                    afterPhone = last.phone.e164
                }
            } else {
                // The next page is read while this one is formatted and written (two cores).
                let company = window.company.id
                var page = try await store.events(companyID: company, after: window.after, upTo: window.head, limit: Self.pageSize)
                while let last = page.last {
                    async let next = last.seq < window.head
                        ? store.events(companyID: company, after: last.seq, upTo: window.head, limit: Self.pageSize) : []
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(page.count * 96)
                    for event in page { try Self.write(event, format: format, to: &buffer) }
                    try await writer.write(buffer)
                    page = try await next
                }
            }
            try await writer.finish(nil)
        }
        let type = format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
        return Response(
            status: .ok,
            headers: [.contentType: type, Self.nextCursorHeader: Cursor.encode(window.head), .eTag: window.etag],
            body: body
        )
    }

    /// One event as a line of the format, written into `buffer` without building strings.
    static func write(_ event: ConsentEvent, format: Format, to buffer: inout ByteBuffer) throws {
        switch format {
        case .ndjson:
            buffer.writeBytes(try APIJSON.encoder.encode(ConsentEventView(event: event)))
            buffer.writeInteger(UInt8(ascii: "\n"))
        case .csv:
            let comma = UInt8(ascii: ",")
            buffer.writeString(String(event.seq))
            buffer.writeInteger(comma)
            APIJSON.writeTimestamp(event.occurredAt, to: &buffer)
            buffer.writeInteger(comma)
            buffer.writeString(event.action.rawValue)
            buffer.writeInteger(comma)
            buffer.writeString(event.phone.e164)
            buffer.writeInteger(comma)
            buffer.writeString(event.scope.rawValue)
            buffer.writeInteger(comma)
            buffer.writeString(event.source.rawValue)
            buffer.writeInteger(comma)
            if let campaign = event.campaignRef { buffer.writeString(CSVWriter.field(campaign, guardFormula: true)) }
            buffer.writeInteger(comma)
            if let reason = event.reason { buffer.writeString(CSVWriter.field(reason, guardFormula: true)) }
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
    }

    static func line(_ suppression: Suppression, format: Format) throws -> String {
        switch format {
        case .ndjson:
            return String(decoding: try APIJSON.encoder.encode(SuppressionView(suppression)), as: UTF8.self) + "\n"
        case .csv:
            return CSVWriter.row([
                suppression.phone.e164, suppression.scope.rawValue, APIJSON.timestamp(suppression.since),
                suppression.source.rawValue, CSVWriter.field(suppression.campaignRef ?? "", guardFormula: true),
            ])
        }
    }

}

struct SuppressionView: Encodable {
    var phone: String
    var scope: OptOutScope
    var since: Date
    var source: ConsentSource
    /// Null, not absent, when the opt-out came through no campaign (as in events).
    @Nullable var campaign: String?

    init(_ suppression: Suppression) {
        phone = suppression.phone.e164
        scope = suppression.scope
        since = suppression.since
        source = suppression.source
        campaign = suppression.campaignRef
    }
}
