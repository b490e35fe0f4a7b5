import Foundation
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// Campaigns by the company's own `ref`, and their results.
struct CampaignsAPI: Sendable {
    static let maximumReasonTexts = 500

    let store: any Store
    let clock: any WallClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("campaigns", use: create)
        group.get("campaigns", use: list)
        group.get("campaigns/{ref}", use: show)
        group.get("campaigns/{ref}/stats", use: stats)
        group.get("stats.csv", use: statsCSV)
    }

    struct CreateRequest: Decodable, KnownFields {
        static let knownFields: Set<String> = ["ref", "name", "purpose"]
        var ref: String
        var name: String?
        var purpose: Purpose?
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let body = try await APIJSON.decode(CreateRequest.self, from: request)
        guard Self.isValidRef(body.ref) else {
            throw APIError.invalid("ref", "must be 1–100 characters of letters, digits, '.', '_' and '-'")
        }
        let name = body.name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? body.ref
        guard (1...200).contains(name.count) else { throw APIError.invalid("name", "must be 1–200 characters") }
        do {
            let campaign = try await store.createCampaign(
                companyID: company.id, ref: body.ref, name: name, purpose: body.purpose ?? .marketing, at: clock.now()
            )
            return try APIJSON.response(CampaignView(campaign), status: .created)
        } catch StoreError.campaignExists {
            throw APIError(.conflict, "campaign_exists", "a campaign with ref \(body.ref) already exists")
        }
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        struct Answer: Encodable { var campaigns: [CampaignView] }
        return try APIJSON.response(Answer(campaigns: try await store.campaigns(companyID: company.id).map(CampaignView.init)))
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        try APIJSON.response(CampaignView(try await campaign(request, context)))
    }

    struct StatsView: Encodable {
        struct ReasonCount: Encodable { var key: String; var count: Int }
        struct ReasonText: Encodable { var text: String; var occurredAt: Date }
        struct Day: Encodable { var date: String; var optOuts: Int }

        var ref: String
        var links: Int
        var humanVisits: Int
        var botVisits: Int
        var uniqueVisitors: Int
        var optOuts: Int
        var optOutsBySource: [String: Int]
        var optOutRate: Double
        var reasons: [ReasonCount]
        var reasonTexts: [ReasonText]
        /// Pass as `texts_before` for the next (older) page of free-text reasons; null at the end.
        @Nullable var reasonTextsNext: String?
        var perDay: [Day]

        init(campaign: Campaign, stats: CampaignStats, limit: Int) {
            ref = campaign.ref
            links = stats.links
            humanVisits = stats.visits.human
            botVisits = stats.visits.bot
            uniqueVisitors = stats.visits.uniqueHumans
            optOuts = stats.optOuts
            var bySource = Dictionary(uniqueKeysWithValues: ConsentSource.allCases.map { ($0.rawValue, 0) })
            bySource.merge(stats.optOutsBySource) { $1 }
            optOutsBySource = bySource
            optOutRate = CampaignsAPI.rate(stats.optOuts, of: stats.links)
            reasons = stats.reasons.map { ReasonCount(key: $0.key, count: $0.count) }
            reasonTexts = stats.reasonTexts.map { ReasonText(text: $0.text, occurredAt: $0.occurredAt) }
            reasonTextsNext = stats.reasonTexts.count == limit ? stats.reasonTexts.last.map { String($0.seq) } : nil
            perDay = stats.perDay.map { Day(date: $0.date, optOuts: $0.optOuts) }
        }
    }

    @Sendable func stats(request: Request, context: AppRequestContext) async throws -> Response {
        let campaign = try await campaign(request, context)
        let query = request.uri.queryParameters
        let limit = try Self.integer(query.get("texts_limit"), name: "texts_limit", default: 50, range: 1...Self.maximumReasonTexts)
        let before = try query.get("texts_before").map { text -> Int64 in
            guard let value = Int64(text), value > 0 else { throw APIError.invalid("texts_before", "must be a cursor from reason_texts_next") }
            return value
        }
        let stats = try await store.stats(campaign: campaign, reasonTextLimit: limit, reasonTextsBefore: before)
        return try APIJSON.response(StatsView(campaign: campaign, stats: stats, limit: limit))
    }

    static let statsColumns = [
        "ref", "name", "purpose", "created_at", "links", "human_visits", "bot_visits", "unique_visitors", "opt_outs", "opt_out_rate",
    ] + ConsentSource.allCases.map { "opt_outs_\($0.rawValue)" }

    @Sendable func statsCSV(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        var text = CSVWriter.row(Self.statsColumns)
        for campaign in try await store.campaigns(companyID: company.id) {
            text += Self.statsRow(campaign: campaign, stats: try await store.stats(campaign: campaign, reasonTextLimit: 1, reasonTextsBefore: nil))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"stats.csv\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// One campaign's line of `stats.csv` (`statsColumns`); the dashboard's download has it too.
    static func statsRow(campaign: Campaign, stats: CampaignStats) -> String {
        CSVWriter.row([
            CSVWriter.field(campaign.ref, guardFormula: true), CSVWriter.field(campaign.name, guardFormula: true),
            campaign.purpose.rawValue, APIJSON.timestamp(campaign.createdAt), String(stats.links), String(stats.visits.human),
            String(stats.visits.bot), String(stats.visits.uniqueHumans), String(stats.optOuts),
            String(rate(stats.optOuts, of: stats.links)),
        ] + ConsentSource.allCases.map { String(stats.optOutsBySource[$0.rawValue] ?? 0) })
    }

    private func campaign(_ request: Request, _ context: AppRequestContext) async throws -> Campaign {
        try await Self.campaign(context.parameters.get("ref") ?? "", of: context.requireCompany(), in: store)
    }

    /// The company's campaign `ref`, or the 404 that names it (another company's campaign is not there).
    static func campaign(_ ref: String, of company: Company, in store: any Store) async throws -> Campaign {
        guard let campaign = try await store.campaign(companyID: company.id, ref: ref) else {
            throw APIError.notFound("campaign \(ref)")
        }
        return campaign
    }

    static func isValidRef(_ ref: String) -> Bool {
        (1...100).contains(ref.count) && ref.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// Opt-outs per link issued, rounded to six decimals; 0 when no link was issued.
    static func rate(_ optOuts: Int, of links: Int) -> Double {
        links == 0 ? 0 : (Double(optOuts) / Double(links) * 1_000_000).rounded() / 1_000_000
    }

    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalid(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
