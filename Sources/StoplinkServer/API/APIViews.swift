import Foundation
import StoplinkCore
import StoplinkStore

/// What the API answers, in PRODUCT.md's field names (snake_case through the encoder).

struct CampaignView: Encodable {
    var ref: String
    var name: String
    var purpose: Purpose
    var createdAt: Date

    init(_ campaign: Campaign) {
        ref = campaign.ref
        name = campaign.name
        purpose = campaign.purpose
        createdAt = campaign.createdAt
    }
}

struct ConsentEventView: Encodable {
    var event: ConsentEvent

    enum CodingKeys: String, CodingKey {
        case seq, action, phone, scope, source, campaign, reason, reasonText = "reason_text", evidence, occurredAt = "occurred_at"
    }

    /// Every field is present; the ones that do not apply are null.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.seq, forKey: .seq)
        try container.encode(event.action, forKey: .action)
        try container.encode(event.phone.e164, forKey: .phone)
        try container.encode(event.scope, forKey: .scope)
        try container.encode(event.source, forKey: .source)
        try container.encode(event.campaignRef, forKey: .campaign)
        try container.encode(event.reason, forKey: .reason)
        try container.encode(event.reasonText, forKey: .reasonText)
        try container.encode(event.evidence, forKey: .evidence)
        try container.encode(APIJSON.timestamp(event.occurredAt), forKey: .occurredAt)
    }
}

struct NumberStateView: Encodable {
    var phone: String
    var suppressed: Bool
    var scope: OptOutScope?
    var since: Date?
    var history: [ConsentEventView]

    enum CodingKeys: String, CodingKey { case phone, suppressed, scope, since, history }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(phone, forKey: .phone)
        try container.encode(suppressed, forKey: .suppressed)
        try container.encode(scope, forKey: .scope)
        try container.encode(since.map(APIJSON.timestamp), forKey: .since)
        try container.encode(history, forKey: .history)
    }
}

struct LineError: Encodable, Equatable {
    var line: Int
    var input: String
    var reason: String
}

struct KeyView: Encodable {
    var prefix: String
    var name: String
    var createdAt: Date
    var lastUsedAt: Date?
    var revokedAt: Date?
    /// Only in the answer to its creation.
    var key: String?

    init(_ stored: StoredAPIKey, key: String? = nil) {
        prefix = stored.prefix
        name = stored.name
        createdAt = stored.createdAt
        lastUsedAt = stored.lastUsedAt
        revokedAt = stored.revokedAt
        self.key = key
    }
}
