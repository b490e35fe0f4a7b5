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

/// Every field is present; the ones that do not apply are null.
struct ConsentEventView: Encodable {
    var seq: Int64
    var action: ConsentAction
    var phone: String
    var scope: OptOutScope
    var source: ConsentSource
    @Nullable var campaign: String?
    @Nullable var reason: String?
    @Nullable var reasonText: String?
    @Nullable var evidence: String?
    var occurredAt: Date

    init(event: ConsentEvent) {
        seq = event.seq
        action = event.action
        phone = event.phone.e164
        scope = event.scope
        source = event.source
        campaign = event.campaignRef
        reason = event.reason
        reasonText = event.reasonText
        evidence = event.evidence
        occurredAt = event.occurredAt
    }
}

struct NumberStateView: Encodable {
    var phone: String
    var suppressed: Bool
    @Nullable var scope: OptOutScope?
    @Nullable var since: Date?
    var history: [ConsentEventView]
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
