import Foundation
import StoplinkCore
import StoplinkStore

/// The figures `stoplink serve --demo` fills the demo company with at its first start, so the
/// dashboard has something to show: three earlier campaigns with links, visits by people and by
/// bots, opt-outs with reasons and free texts over the last 30 days, a few STOP replies, and one
/// unclear reply waiting for review. Everything follows from `now`: the same start gives the same data.
enum DemoData {
    struct Send {
        var ref: String
        var name: String
        var daysAgo: Double
        var recipients: Int
        /// Every `optOutEvery`-th recipient opts out.
        var optOutEvery: Int
    }

    static let sends = [
        Send(ref: "autumn-offers", name: "Autumn offers", daysAgo: 27, recipients: 80, optOutEvery: 4),
        Send(ref: "newsletter-week-47", name: "Newsletter, week 47", daysAgo: 13, recipients: 60, optOutEvery: 6),
        Send(ref: "loyalty-club", name: "Loyalty club launch", daysAgo: 5, recipients: 40, optOutEvery: 9),
    ]
    /// Hours from the send to an opt-out, taken in turn.
    static let delayHours: [Double] = [0.2, 0.7, 2, 4, 9, 20, 30, 60, 0.4, 120, 220, 1.5, 90, 160]
    static let reasons: [String?] = ["too_many", "not_relevant", "too_many", "never_signed_up", "other", nil]
    static let texts = [
        "Three messages a week is too many.",
        "I moved abroad, please stop.",
        "Only interested in the shoe sales.",
        "I never gave you my number!",
        "Please email me instead of texting.",
        "Too frequent around the holidays.",
        "Not relevant for me any more, thanks.",
        "I'll come back when I need new running gear.",
    ]
    /// STOP replies to a company number, hours ago.
    static let stopReplies: [Double] = [10, 50, 100, 200, 300, 400, 550, 650]
    static let unclearReply = "pls stop the newsletters but keep sending my delivery updates"
    static let companyNumber = "+3197010000000"

    /// The demo numbers: +31 6 85 followed by six digits, a range no real subscriber is given here.
    static func phone(_ index: Int) -> PhoneNumber {
        PhoneNumber(trustedE164: "+3168" + String(format: "%07d", 5_000_000 + index))
    }

    static func fill(store: any Store, companyID: String, codeLength: Int, now: Date) async throws {
        var visits: [Visit] = []
        var sequence = 0
        for (number, send) in sends.enumerated() {
            let sentAt = now.addingTimeInterval(-send.daysAgo * 86_400)
            let campaign = try await store.createCampaign(companyID: companyID, ref: send.ref, name: send.name, purpose: .marketing, at: sentAt)
            let phones = (0..<send.recipients).map { phone(number * 1_000 + $0) }
            let links = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: codeLength, at: sentAt)
            for (index, link) in links.enumerated() {
                let delay = delayHours[(index + number) % delayHours.count] * 3_600
                let visitedAt = min(sentAt.addingTimeInterval(delay / 2), now)
                if index % 3 == 0 { visits.append(Visit(linkID: link.id, kind: .bot, visitor: "demo-bot-\(index % 4)", at: sentAt.addingTimeInterval(30))) }
                let optsOut = index % send.optOutEvery == 0
                guard optsOut || index % 2 == 0 else { continue }
                visits.append(Visit(linkID: link.id, kind: .human, visitor: "demo-\(number)-\(index)", at: visitedAt))
                let at = sentAt.addingTimeInterval(delay)
                guard optsOut, at < now else { continue }
                let reason = reasons[sequence % reasons.count]
                let text = sequence % 3 == 0 ? texts[(sequence / 3) % texts.count] : nil
                sequence += 1
                _ = try await store.recordOptOut(OptOutRequest(
                    companyID: companyID, phone: link.phone, scope: .marketing, source: .link, campaignID: campaign.id,
                    reason: reason, reasonText: text, occurredAt: at
                ))
            }
        }
        try await store.recordVisits(visits)
        for (index, hours) in stopReplies.enumerated() {
            _ = try await store.recordOptOut(OptOutRequest(
                companyID: companyID, phone: phone(9_000 + index), scope: .marketing, source: .keyword, rawText: "STOP",
                occurredAt: now.addingTimeInterval(-hours * 3_600)
            ))
        }
        let receivedAt = now.addingTimeInterval(-2 * 86_400)
        _ = try await store.processInbound(
            InboundMessage(
                companyID: companyID, gateway: .generic, messageID: "demo-review-1", from: phone(9_100), to: companyNumber,
                text: unclearReply, receivedAt: receivedAt
            ),
            decision: InboundDecision(
                action: .review, reply: nil, reviewDeadline: BusinessDays.add(InboundDecision.reviewBusinessDays, to: receivedAt)
            )
        )
    }
}
