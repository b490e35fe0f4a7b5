import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// The suppression list: filters, pages, a CSV import with a result per line (an uploaded file
/// or pasted lines, through the same `OptOutImporter` as the API), and downloads of the list
/// and of the event feed as CSV.
extension DashboardController {
    static let listPageSize = 50
    /// An upload is read whole before its CSRF token can be checked, so it is kept small; the
    /// API's import takes any size.
    static let maximumUploadBytes = 1024 * 1024
    /// The import result shows this many lines; the counts cover every line.
    static let importLinesShown = 1_000
    static let downloadPageSize = 5_000

    func addListRoutes(to group: RouterGroup<DashboardContext>) {
        group.get("list", use: list)
        group.post("list/import", use: importList)
        group.get("list.csv", use: listDownload)
        group.get("events.csv", use: eventsDownload)
    }

    @Sendable func list(request: Request, context: DashboardContext) async throws -> Response {
        try await listPage(request, context.visitor)
    }

    /// `importForm`: the import form's values, errors and results, when the page answers an import.
    private func listPage(
        _ request: Request, _ visitor: DashboardVisitor, importForm form: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let company = visitor.company.id
        let campaigns = try await store.campaigns(companyID: company)
        let query = ConsentDisplay.formQuery(request)
        let (filter, filterErrors) = Self.listFilter(query, campaignRefs: Set(campaigns.map(\.ref)))
        var values: [String: Any] = form
        for (key, value) in filterErrors { values[key] = value }
        let selected = { (name: String) in query[name] ?? "" }
        values["scopes"] = OptOutScope.allCases.map {
            ["value": $0.rawValue, "label": ConsentDisplay.scope($0), "selected": selected("scope") == $0.rawValue] as [String: Any]
        }
        values["sources"] = ConsentSource.allCases.map {
            ["value": $0.rawValue, "label": Self.sourceName($0), "selected": selected("source") == $0.rawValue] as [String: Any]
        }
        values["campaigns"] = campaigns.map {
            ["value": $0.ref, "label": $0.name.isEmpty ? $0.ref : "\($0.name) (\($0.ref))", "selected": selected("campaign") == $0.ref] as [String: Any]
        }
        values["from"] = selected("from")
        values["to"] = selected("to")
        values["maximum_upload"] = "1 MB"
        guard let filter else {
            values["filter_invalid"] = true
            return try page("list", visitor, nav: "list", values: values, status: .unprocessableContent)
        }
        let after = query["after"].flatMap(Self.listPosition)
        var rows = try await store.suppressions(companyID: company, matching: filter, after: after, limit: Self.listPageSize + 1)
        let hasMore = rows.count > Self.listPageSize
        rows = Array(rows.prefix(Self.listPageSize))
        let total = try await store.suppressionCount(companyID: company, matching: filter)
        let filterQuery = Self.filterQuery(query)
        values["rows"] = rows.map { row -> [String: Any] in
            [
                "phone": row.phone.e164, "href": Self.numberPath(row.phone), "scope": ConsentDisplay.scope(row.scope),
                "since": ConsentDisplay.time(row.since), "since_iso": ConsentDisplay.iso(row.since),
                "source": Self.sourceName(row.source), "campaign": row.campaignRef ?? "",
            ]
        }
        values["has_rows"] = !rows.isEmpty
        values["total"] = total
        values["total_is_one"] = total == 1
        values["filtered"] = filter != SuppressionFilter()
        if after != nil { values["first_href"] = "/dashboard/list" + (filterQuery.isEmpty ? "" : "?\(filterQuery)") }
        if hasMore, let last = rows.last {
            let position = "\(Int64((last.since.timeIntervalSince1970 * 1000).rounded()))_\(last.phone.e164)"
            values["next_href"] = "/dashboard/list?" + ConsentDisplay.query(Self.filterPairs(query) + [("after", position)])
        }
        values["download_href"] = "/dashboard/list.csv" + (filterQuery.isEmpty ? "" : "?\(filterQuery)")
        return try page("list", visitor, nav: "list", values: values, status: status)
    }

    // MARK: Import

    /// A `multipart/form-data` form (a `file`, or lines pasted into `text`) or a plain form with
    /// `text`. A body over `maximumUploadBytes` gets 413 before it is read any further.
    @Sendable func importList(request: Request, context: DashboardContext) async throws -> Response {
        let visitor = context.visitor
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumUploadBytes {
            return try tooLarge(visitor)
        }
        let fields: [String: String]
        var file: [UInt8] = []
        if let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/") {
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maximumUploadBytes)
            } catch is NIOTooManyBytesError {
                return try tooLarge(visitor)
            }
            guard let boundary = try? MultipartForm.boundary(contentType: type),
                  let parts = try? MultipartForm.parse(body.readableBytesView, boundary: boundary) else {
                context.logger.notice("refused an unreadable dashboard upload")
                return try message(visitor, status: .badRequest, heading: "The upload could not be read",
                                   text: "The form did not arrive as a browser sends it. Nothing was imported; please try again.")
            }
            fields = MultipartForm.fields(parts)
            file = parts.first { $0.name == "file" }?.body ?? []
        } else {
            guard let form = try await form(request) else { return try forbidden(visitor) }
            fields = form
        }
        guard let token = fields["csrf"], csrf.isValid(token, code: Self.sessionBinding(visitor.sessionHash), at: clock.now()) else {
            context.logger.notice("refused a dashboard import without a valid CSRF token")
            return try forbidden(visitor)
        }
        let pasted = fields["text"] ?? ""
        let csv = file.isEmpty ? Array(pasted.utf8) : file
        guard csv.contains(where: { !Set(" \t\r\n".utf8).contains($0) }) else {
            return try await listPage(request, visitor, importForm: [
                "import_error": "Choose a CSV file, or paste numbers one a line.", "text": pasted,
            ], status: .unprocessableContent)
        }
        var importer = OptOutImporter(store: store, company: visitor.company, actor: Self.actor(visitor), now: clock.now(), metrics: abuse.metrics)
        var results: [OptOutImporter.LineResult]
        do {
            results = try await importer.feed(csv)
            results += try await importer.finish()
        } catch let error as RecipientCSVError {
            return try await listPage(request, visitor, importForm: [
                "import_error": "The file cannot be imported: \(error.description).", "text": pasted,
            ], status: .unprocessableContent)
        }
        var counts = (added: 0, already: 0, rejected: 0)
        for result in results {
            switch result.outcome {
            case .added: counts.added += 1
            case .already: counts.already += 1
            case .rejected: counts.rejected += 1
            }
        }
        try await store.recordAudit(AuditEntry(
            companyID: visitor.company.id, userID: visitor.user.id, userEmail: visitor.user.email, action: "list_import",
            detail: "\(counts.added) added, \(counts.already) already on the list, \(counts.rejected) not read", at: clock.now()
        ))
        context.logger.info("dashboard import", metadata: [
            "user": "\(visitor.user.id)", "added": "\(counts.added)", "already": "\(counts.already)", "rejected": "\(counts.rejected)",
        ])
        return try page("import", visitor, nav: "list", values: [
            "added": counts.added, "already": counts.already, "rejected": counts.rejected, "line_count": results.count,
            "lines": results.prefix(Self.importLinesShown).map { result -> [String: Any] in
                // Every key is set: a missing one would be looked up in the page's values.
                switch result.outcome {
                case .added(let phone):
                    ["line": result.line, "input": result.input, "phone": phone.e164, "result": "Added", "rejected": false]
                case .already(let phone):
                    ["line": result.line, "input": result.input, "phone": phone.e164, "result": "Already on the list", "rejected": false]
                case .rejected(let reason):
                    ["line": result.line, "input": result.input, "phone": "", "result": "Not read: \(reason)", "rejected": true]
                }
            },
            "cut": results.count > Self.importLinesShown, "lines_shown": Self.importLinesShown,
        ])
    }

    private func tooLarge(_ visitor: DashboardVisitor) throws -> Response {
        try message(visitor, status: .contentTooLarge, heading: "The file is too large",
                    text: "An upload here can be at most 1 MB. Nothing was imported. Split the file, or send large imports through the API.")
    }

    // MARK: Downloads

    /// The list as it is filtered, streamed page by page (`phone,scope,since,source,campaign`,
    /// as the API's `feed.csv?state=current`).
    @Sendable func listDownload(request: Request, context: DashboardContext) async throws -> Response {
        let company = context.visitor.company.id
        let campaigns = try await store.campaigns(companyID: company)
        guard let filter = Self.listFilter(ConsentDisplay.formQuery(request), campaignRefs: Set(campaigns.map(\.ref))).filter else {
            return try await listPage(request, context.visitor)
        }
        let store = store
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: CSVWriter.row(["phone", "scope", "since", "source", "campaign"])))
            var after: SuppressionPosition?
            while true {
                let page = try await store.suppressions(companyID: company, matching: filter, after: after, limit: Self.downloadPageSize)
                guard let last = page.last else { break }
                try await writer.write(ByteBuffer(string: try page.map { try FeedAPI.line($0, format: .csv) }.joined()))
                after = SuppressionPosition(last)
            }
            try await writer.finish(nil)
        }
        return Self.attachment("stoplink-list-\(Self.fileDate(clock.now())).csv", body: body)
    }

    /// Every consent event of the company, oldest first, in the columns of the API's `feed.csv`.
    @Sendable func eventsDownload(request: Request, context: DashboardContext) async throws -> Response {
        let company = context.visitor.company.id
        let head = try await store.feedHead(companyID: company)
        let store = store
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: CSVWriter.row(FeedAPI.csvColumns)))
            var after: Int64 = 0
            while after < head {
                let page = try await store.events(companyID: company, after: after, upTo: head, limit: Self.downloadPageSize)
                guard let last = page.last else { break }
                var buffer = ByteBuffer()
                for event in page { try FeedAPI.write(event, format: .csv, to: &buffer) }
                try await writer.write(buffer)
                after = last.seq
            }
            try await writer.finish(nil)
        }
        return Self.attachment("stoplink-events-\(Self.fileDate(clock.now())).csv", body: body)
    }

    private static func attachment(_ filename: String, body: ResponseBody) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: body
        )
    }

    private static func fileDate(_ date: Date) -> String {
        String(ConsentDisplay.time(date).prefix(10))
    }

    // MARK: Filters

    static let filterNames = ["scope", "source", "campaign", "from", "to"]

    private static func filterPairs(_ query: [String: String]) -> [(String, String?)] {
        filterNames.map { ($0, query[$0]) }
    }

    private static func filterQuery(_ query: [String: String]) -> String {
        ConsentDisplay.query(filterPairs(query))
    }

    /// The filter of a query, or nil and the errors to show next to its fields. `to` is a whole
    /// day: it includes opt-outs until its end (UTC).
    static func listFilter(_ query: [String: String], campaignRefs: Set<String>) -> (filter: SuppressionFilter?, errors: [String: String]) {
        var filter = SuppressionFilter()
        var errors: [String: String] = [:]
        let value = { (name: String) -> String? in query[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let scope = value("scope") {
            filter.scope = OptOutScope(rawValue: scope)
            if filter.scope == nil { errors["scope_error"] = "Choose a scope from the list." }
        }
        if let source = value("source") {
            filter.source = ConsentSource(rawValue: source)
            if filter.source == nil { errors["source_error"] = "Choose a source from the list." }
        }
        if let campaign = value("campaign") {
            filter.campaignRef = campaign
            if !campaignRefs.contains(campaign) { errors["campaign_error"] = "There is no such campaign." }
        }
        if let from = value("from") {
            filter.since = day(from)
            if filter.since == nil { errors["from_error"] = "Write the date as YYYY-MM-DD." }
        }
        if let to = value("to") {
            filter.before = day(to)?.addingTimeInterval(86_400)
            if filter.before == nil { errors["to_error"] = "Write the date as YYYY-MM-DD." }
        }
        if errors.isEmpty, let since = filter.since, let before = filter.before, since >= before {
            errors["to_error"] = "The last day cannot be before the first."
        }
        return (errors.isEmpty ? filter : nil, errors)
    }

    /// The start (UTC) of a `YYYY-MM-DD` day.
    private static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1970...9999).contains(year) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }

    /// `after=<millis>_<E.164>`: the last row of the page before (millis may be negative: an
    /// imported opt-out can predate 1970); anything else starts at the top.
    private static func listPosition(_ text: String) -> SuppressionPosition? {
        let parts = text.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let millis = Int64(parts[0]),
              let phone = try? PhoneNumber(parsing: parts[1], defaultRegion: nil), phone.e164 == parts[1] else { return nil }
        return SuppressionPosition(since: Date(timeIntervalSince1970: TimeInterval(millis) / 1000), phone: phone)
    }
}
