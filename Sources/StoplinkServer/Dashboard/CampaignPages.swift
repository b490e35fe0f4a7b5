import Foundation
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// Campaigns: the sortable, paged list; one campaign's results with its charts and free-text
/// reasons; their CSV downloads; and the overview's 30-day chart and "needs attention" list.
/// Everyone signed in may read them (marketers too); another company's campaign answers 404.
extension DashboardController {
    static let campaignsPerPage = 25
    static let reasonTextsPerPage = 20
    /// Reason texts read per round while a download streams.
    static let reasonsCSVChunk = 1_000
    /// Page numbers beyond this are read as the last page; it keeps `offset` arithmetic small.
    static let highestPageNumber = 1_000_000
    static let searchLength = 200
    static let attentionItems = 5
    static let overviewDays = 30

    func addCampaignRoutes(to group: RouterGroup<DashboardContext>) {
        group.get("campaigns", use: campaignList)
        group.get("campaigns/{ref}", use: campaign)
        group.get("campaigns/{ref}/stats.csv", use: campaignStatsCSV)
        group.get("campaigns/{ref}/reasons.csv", use: campaignReasonsCSV)
    }

    // MARK: The list

    @Sendable func campaignList(request: Request, context: DashboardContext) async throws -> Response {
        let query = ConsentDisplay.formQuery(request)
        let sort = query["sort"].flatMap(CampaignSort.init(rawValue:)) ?? .created
        let descending = query["order"].flatMap(Self.descending) ?? Self.defaultDescending(sort)
        var current = Self.pageNumber(query["page"])
        let companyID = context.visitor.company.id
        var result = try await store.campaignSummaries(
            companyID: companyID, sort: sort, descending: descending, limit: Self.campaignsPerPage,
            offset: (current - 1) * Self.campaignsPerPage
        )
        let pages = Self.pageCount(result.total, per: Self.campaignsPerPage)
        if current > pages {
            // Past the end: the last page, not an empty one.
            current = pages
            result = try await store.campaignSummaries(
                companyID: companyID, sort: sort, descending: descending, limit: Self.campaignsPerPage,
                offset: (current - 1) * Self.campaignsPerPage
            )
        }
        let order = descending ? "desc" : "asc"
        let columns: [(CampaignSort, String, Bool)] = [
            (.name, "Campaign", false), (.created, "Created (UTC)", false), (.links, "Links", true), (.visits, "Human visits", true),
            (.optOuts, "Opt-outs", true), (.rate, "Rate", true),
        ]
        let headers: [[String: Any]] = columns.map { column, label, numeric in
            let isSorted = column == sort
            let next = isSorted ? !descending : Self.defaultDescending(column)
            var header: [String: Any] = [
                "label": label, "num": numeric,
                "href": Self.campaignsHref(sort: column, descending: next, page: 1),
            ]
            if isSorted {
                header["aria_sort"] = descending ? "descending" : "ascending"
                header["arrow"] = descending ? "↓" : "↑"
            }
            return header
        }
        var values: [String: Any] = [
            "headers": headers,
            "campaigns": result.summaries.map { summary in
                [
                    "name": Self.displayName(summary.campaign), "ref": summary.campaign.ref,
                    "href": "/dashboard/campaigns/\(Self.pathComponent(summary.campaign.ref))",
                    "created": DaySeries.string(summary.campaign.createdAt), "links": summary.links, "human_visits": summary.humanVisits,
                    "opt_outs": summary.optOuts, "rate": Self.percent(CampaignsAPI.rate(summary.optOuts, of: summary.links)),
                ] as [String: Any]
            },
            "has_campaigns": result.total > 0, "total": result.total,
            "sort_label": columns.first { $0.0 == sort }?.1 ?? "", "order_label": descending ? "descending" : "ascending",
            "sort": sort.rawValue, "order": order, "pager_label": "Pages of campaigns",
        ]
        values["pager"] = Self.pager(page: current, of: pages) { Self.campaignsHref(sort: sort, descending: descending, page: $0) }
        return try page("campaigns", context.visitor, nav: "campaigns", values: values)
    }

    // MARK: One campaign

    @Sendable func campaign(request: Request, context: DashboardContext) async throws -> Response {
        guard let campaign = try await visitorsCampaign(context) else { return try notFound(context.visitor) }
        let query = ConsentDisplay.formQuery(request)
        let search = Self.search(query["q"])
        let stats = try await store.stats(campaign: campaign, reasonTextLimit: 0, reasonTextsBefore: nil)
        let delays = try await store.optOutDelays(campaignID: campaign.id, bounds: SendDelay.bounds)
        let textCount = try await store.reasonEntryCount(campaignID: campaign.id, freeTextOnly: true, search: search)
        let pages = Self.pageCount(textCount, per: Self.reasonTextsPerPage)
        let textPage = min(Self.pageNumber(query["page"]), pages)
        let texts = try await store.reasonEntries(
            campaignID: campaign.id, freeTextOnly: true, search: search, after: nil,
            offset: (textPage - 1) * Self.reasonTextsPerPage, limit: Self.reasonTextsPerPage
        )
        let labels = reasonLabels(context.visitor.company)
        let base = "/dashboard/campaigns/\(Self.pathComponent(campaign.ref))"
        // From the first day with an opt-out to the last, quiet days between them as 0.
        var perDay: [(date: String, count: Int)] = []
        if let first = stats.perDay.first.flatMap({ DaySeries.date($0.date) }), let last = stats.perDay.last.flatMap({ DaySeries.date($0.date) }) {
            perDay = DaySeries.filled(stats.perDay.map { ($0.date, $0.optOuts) }, from: first, through: last)
        }
        let charts: [[String: Any]] = [
            Self.chart(
                id: "reasons", title: "Opt-outs by reason", labelHeading: "Reason", valueHeading: "Opt-outs", horizontal: true,
                bars: stats.reasons.map { SVGChart.Bar(label: labels($0.key), value: $0.count) }
            ),
            Self.chart(
                id: "per-day", title: "Opt-outs per day (UTC)", labelHeading: "Day", valueHeading: "Opt-outs", horizontal: false,
                bars: perDay.map { SVGChart.Bar(label: $0.date, value: $0.count) }
            ),
            Self.chart(
                id: "delays", title: "Time from send to opt-out", labelHeading: "After the send", valueHeading: "Opt-outs",
                horizontal: true, bars: zip(SendDelay.labels, delays).map { SVGChart.Bar(label: $0, value: $1) }
            ),
            Self.chart(
                id: "visits", title: "Visits to the links", labelHeading: "Visitor", valueHeading: "Visits", horizontal: true,
                bars: [SVGChart.Bar(label: "Human", value: stats.visits.human), SVGChart.Bar(label: "Bot", value: stats.visits.bot)]
            ),
        ]
        let textsHref: (Int) -> String = { number in
            var items = [URLQueryItem]()
            if let search { items.append(URLQueryItem(name: "q", value: search)) }
            if number > 1 { items.append(URLQueryItem(name: "page", value: String(number))) }
            return base + Self.queryString(items) + "#texts-heading"
        }
        var values: [String: Any] = [
            "name": Self.displayName(campaign), "ref": campaign.ref, "purpose": campaign.purpose.rawValue,
            "created": Self.minute(campaign.createdAt),
            "links": stats.links, "human_visits": stats.visits.human, "bot_visits": stats.visits.bot, "opt_outs": stats.optOuts,
            "rate": Self.percent(CampaignsAPI.rate(stats.optOuts, of: stats.links)),
            "charts": charts,
            "search": search ?? "", "searching": search != nil, "text_count": textCount, "one_text": textCount == 1,
            "texts": texts.map { entry in
                var values: [String: Any] = ["at": Self.minute(entry.occurredAt), "text": entry.text ?? ""]
                if let reason = entry.reason { values["reason"] = labels(reason) }
                return values
            },
            "has_texts": !texts.isEmpty,
            "stats_csv": base + "/stats.csv", "reasons_csv": base + "/reasons.csv", "self_href": base, "pager_label": "Pages of texts",
        ]
        values["pager"] = Self.pager(page: textPage, of: pages, href: textsHref)
        return try page("campaign", context.visitor, nav: "campaigns", values: values)
    }

    /// The campaign's figures as one CSV row, with the columns of the API's `stats.csv`.
    @Sendable func campaignStatsCSV(request: Request, context: DashboardContext) async throws -> Response {
        guard let campaign = try await visitorsCampaign(context) else { return try notFound(context.visitor) }
        let stats = try await store.stats(campaign: campaign, reasonTextLimit: 0, reasonTextsBefore: nil)
        let text = CSVWriter.row(CampaignsAPI.statsColumns) + CampaignsAPI.statsRow(campaign: campaign, stats: stats)
        return Self.csv(ResponseBody(byteBuffer: ByteBuffer(string: text)), filename: "\(campaign.ref)-stats.csv")
    }

    /// Every opt-out of the campaign with a reason or a free text, newest first, streamed.
    @Sendable func campaignReasonsCSV(request: Request, context: DashboardContext) async throws -> Response {
        guard let campaign = try await visitorsCampaign(context) else { return try notFound(context.visitor) }
        let labels = reasonLabels(context.visitor.company)
        let store = self.store
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: CSVWriter.row(["occurred_at", "reason", "reason_label", "reason_text"])))
            var previous: ReasonEntry?
            while true {
                let entries = try await store.reasonEntries(
                    campaignID: campaign.id, freeTextOnly: false, search: nil, after: previous, offset: 0, limit: Self.reasonsCSVChunk
                )
                guard let last = entries.last else { break }
                try await writer.write(ByteBuffer(string: entries.map { entry in
                    CSVWriter.row([
                        APIJSON.timestamp(entry.occurredAt), CSVWriter.field(entry.reason ?? "", guardFormula: true),
                        CSVWriter.field(entry.reason.map(labels) ?? "", guardFormula: true),
                        CSVWriter.field(entry.text ?? "", guardFormula: true),
                    ])
                }.joined()))
                previous = last
            }
            try await writer.finish(nil)
        }
        return Self.csv(body, filename: "\(campaign.ref)-reasons.csv")
    }

    // MARK: The overview's chart and attention list

    /// The values the overview adds: the company's opt-outs per day over 30 days, and what needs
    /// a person (review items by deadline, failing webhook endpoints for owners, email failures).
    func overviewExtras(_ visitor: DashboardVisitor) async throws -> [String: Any] {
        let company = visitor.company
        let now = clock.now()
        let firstDay = now.addingTimeInterval(-Double(Self.overviewDays - 1) * 86_400)
        let since = DaySeries.date(DaySeries.string(firstDay)) ?? firstDay
        let days = DaySeries.filled(
            try await store.optOutsPerDay(companyID: company.id, since: since).map { ($0.date, $0.optOuts) }, from: since, through: now
        )
        let chart = Self.chart(
            id: "overview-days", title: "Opt-outs per day, last \(Self.overviewDays) days (UTC)", labelHeading: "Day",
            valueHeading: "Opt-outs", horizontal: false, bars: days.map { SVGChart.Bar(label: $0.date, value: $0.count) }
        )
        let queue = try await store.reviewQueuePage(companyID: company.id, limit: Self.attentionItems, now: now)
        let reviews = queue.items
        let week = now.addingTimeInterval(-7 * 86_400)
        let endpoints = visitor.user.role == .owner ? try await store.failingEndpoints(companyID: company.id, since: week) : []
        let emails = try await store.emailFailures(companyID: company.id, since: week, limit: Self.attentionItems + 1)
        return [
            "day_chart": chart,
            "attention": !reviews.isEmpty || !endpoints.isEmpty || !emails.isEmpty,
            "reviews": reviews.prefix(Self.attentionItems).map { item in
                [
                    "from": item.from.masked, "text": Self.shortened(item.text, to: 80), "deadline": Self.minute(item.deadline),
                    "overdue": item.deadline <= now,
                ] as [String: Any]
            },
            "review_count": queue.total, "has_reviews": !reviews.isEmpty, "more_reviews": max(0, queue.total - reviews.count),
            "has_more_reviews": queue.total > reviews.count,
            "endpoints": endpoints.map { failing in
                var values: [String: Any] = [
                    "url": failing.endpoint.url, "enabled": failing.endpoint.enabled, "retrying": failing.retrying, "failed": failing.failed,
                ]
                if let error = failing.lastError ?? failing.endpoint.disabledReason, !error.isEmpty { values["error"] = error }
                return values
            },
            "has_endpoints": !endpoints.isEmpty,
            "emails": emails.prefix(Self.attentionItems).map { email in
                var values: [String: Any] = [
                    "address": email.address, "kind": email.kind.rawValue, "at": email.completedAt.map(Self.minute) ?? "",
                ]
                if let error = email.lastError, !error.isEmpty { values["error"] = error }
                return values
            },
            "has_emails": !emails.isEmpty, "more_emails": emails.count > Self.attentionItems,
        ]
    }

    // MARK: Helpers

    private func visitorsCampaign(_ context: DashboardContext) async throws -> Campaign? {
        try await store.campaign(companyID: context.visitor.company.id, ref: context.parameters.get("ref") ?? "")
    }

    /// A reason key's label: the company's own (its default language, else English), else the
    /// standard one, else the key itself (a reason retired or renamed since).
    private func reasonLabels(_ company: Company) -> @Sendable (String) -> String {
        let custom = Dictionary((company.reasons ?? []).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let standard = renderer.standardReasonLabels
        let language = company.defaultLanguage
        return { key in
            if let reason = custom[key] {
                return reason.labels[language] ?? reason.labels[Language.fallback] ?? reason.labels.values.sorted().first ?? key
            }
            return standard[key] ?? key
        }
    }

    static func chart(id: String, title: String, labelHeading: String, valueHeading: String, horizontal: Bool, bars: [SVGChart.Bar])
        -> [String: Any]
    {
        [
            "id": id, "title": title, "label_heading": labelHeading, "value_heading": valueHeading, "empty": bars.isEmpty,
            "svg": horizontal ? SVGChart.horizontalBars(id: id, title: title, bars: bars)
                : SVGChart.columns(id: id, title: title, bars: bars),
            "rows": bars.map { ["label": $0.label, "value": $0.value] as [String: Any] },
        ]
    }

    /// Page links: previous, next, and the numbers around the current page with the first and last.
    static func pager(page: Int, of pages: Int, href: (Int) -> String) -> [String: Any]? {
        guard pages > 1 else { return nil }
        let shown = Set([1, pages] + Array(max(1, page - 2)...min(pages, page + 2))).sorted()
        var links: [[String: Any]] = []
        for (index, number) in shown.enumerated() {
            if index > 0, number - shown[index - 1] > 1 { links.append(["gap": true]) }
            links.append(["number": number, "href": href(number), "current": number == page])
        }
        var values: [String: Any] = ["page": page, "pages": pages, "links": links]
        if page > 1 { values["previous"] = href(page - 1) }
        if page < pages { values["next"] = href(page + 1) }
        return values
    }

    static func campaignsHref(sort: CampaignSort, descending: Bool, page: Int) -> String {
        var items = [URLQueryItem(name: "sort", value: sort.rawValue), URLQueryItem(name: "order", value: descending ? "desc" : "asc")]
        if page > 1 { items.append(URLQueryItem(name: "page", value: String(page))) }
        return "/dashboard/campaigns" + queryString(items)
    }

    static func queryString(_ items: [URLQueryItem]) -> String {
        guard !items.isEmpty else { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?" + items.map { item in
            "\(item.name)=\((item.value ?? "").addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }

    /// A page number from the query: a whole number from 1, else 1; very large ones (also those
    /// too large for an `Int`) are capped, and then read as the last page.
    static func pageNumber(_ text: String?) -> Int {
        guard let text, !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return 1 }
        guard let number = Int(text) else { return highestPageNumber }
        return min(max(number, 1), highestPageNumber)
    }

    static func pageCount(_ total: Int, per size: Int) -> Int {
        max(1, (total + size - 1) / size)
    }

    static func descending(_ text: String) -> Bool? {
        switch text {
        case "desc": true
        case "asc": false
        default: nil
        }
    }

    /// Newest, most and highest first; names from A.
    static func defaultDescending(_ sort: CampaignSort) -> Bool {
        sort != .name
    }

    /// The search text: trimmed, at most `searchLength` characters, nil when empty.
    static func search(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return String(text.prefix(searchLength))
    }

    /// A moment as people read it on a page: `2027-01-15 08:00 UTC`.
    static func minute(_ date: Date) -> String {
        let stamp = APIJSON.timestamp(date)
        return String(stamp.prefix(10)) + " " + String(stamp.dropFirst(11).prefix(5)) + " UTC"
    }

    static func displayName(_ campaign: Campaign) -> String {
        campaign.name.isEmpty ? campaign.ref : campaign.name
    }

    static func shortened(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    static func csv(_ body: ResponseBody, filename: String) -> Response {
        // The ref is letters, digits and `._-` (CampaignsAPI.isValidRef); anything else is dropped.
        let safe = String(filename.filter { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(safe)\"", .cacheControl: "no-store"],
            body: body
        )
    }
}
