import Foundation
import StoplinkCore
import StoplinkStore

/// The words of Stoplink's emails. Phone numbers are masked (`•••••••23`), as everywhere outside
/// the number's own page: email passes through mail providers and stays in inboxes, and the
/// company's people find the full number and its history on the dashboard or with
/// `stoplink number`.
public enum EmailContent {
    /// Review items whose deadline is within this long (or past) are listed in the digest.
    public static let reviewHorizon: TimeInterval = 48 * 3600

    public static func forward(_ event: ConsentEvent, company: Company?) -> (subject: String, body: String) {
        let name = company?.name ?? event.companyID
        var lines = [
            "A number opted out of messages from \(name).",
            "",
            "Number:   \(event.phone.masked)",
            "When:     \(timestamp(event.occurredAt))",
            "Scope:    \(event.scope.rawValue)",
            "Source:   \(event.source.rawValue)",
            "Campaign: \(event.campaignRef ?? "none")",
            "Reason:   \(event.reason ?? "none given")",
        ]
        if let text = event.reasonText, !text.isEmpty { lines.append("In their words: \(text)") }
        lines += ["", "Event \(event.seq) in the company's feed. The number is masked; its full history is on the dashboard.", signature]
        let campaign = event.campaignRef.map { " (\($0))" } ?? ""
        return ("Opt-out: \(event.phone.masked)\(campaign)", lines.joined(separator: "\n"))
    }

    public static func digest(
        company: Company, figures: DigestFigures, review: [ReviewItem], since: Date, until: Date
    ) -> (subject: String, body: String) {
        var lines = [
            "Stoplink daily digest for \(company.name)",
            "From \(timestamp(since)) to \(timestamp(until))",
            "",
            "Opt-outs: \(figures.optOuts)",
        ]
        if !figures.byCampaign.isEmpty {
            lines += ["", "By campaign:"] + figures.byCampaign.map { "  \($0.key ?? "(no campaign)"): \($0.count)" }
        }
        if !figures.byReason.isEmpty {
            lines += ["", "Top reasons:"] + figures.byReason.prefix(5).map { "  \($0.key ?? "(none given)"): \($0.count)" }
        }
        let near = review.filter { $0.deadline <= until.addingTimeInterval(reviewHorizon) }.sorted { $0.deadline < $1.deadline }
        lines += ["", near.isEmpty ? "No review item is due within 48 hours." : "Review items due within 48 hours or overdue:"]
        lines += near.map { item in
            "  \(item.from.masked), received \(timestamp(item.receivedAt)), decide by \(timestamp(item.deadline))"
                + (item.deadline < until ? " (overdue)" : "")
        }
        lines += ["", signature]
        return ("Stoplink digest: \(figures.optOuts) opt-out\(figures.optOuts == 1 ? "" : "s") for \(company.name)", lines.joined(separator: "\n"))
    }

    /// The last 24 hours before `now` as a digest of `companyID`, or nil for an unknown company.
    public static func digest(store: any Store, companyID: String, now: Date) async throws -> (subject: String, body: String)? {
        guard let company = try await store.company(id: companyID) else { return nil }
        let since = now.addingTimeInterval(-24 * 3600)
        let figures = try await store.digestFigures(companyID: companyID, since: since, until: now)
        let review = try await store.reviewQueue(companyID: companyID)
        return digest(company: company, figures: figures, review: review, since: since, until: now)
    }

    static let signature = "-- \nSent by Stoplink. Change who gets these emails on the dashboard (Settings, Email) or with `stoplink email`."

    static func timestamp(_ date: Date) -> String {
        EmailMessage.formatUTC(date, "yyyy-MM-dd HH:mm 'UTC'")
    }

    /// The UTC day of `date` as `yyyy-MM-dd`: the key of a day's digest.
    public static func day(_ date: Date) -> String {
        EmailMessage.formatUTC(date, "yyyy-MM-dd")
    }
}
