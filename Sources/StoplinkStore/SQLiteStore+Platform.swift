import Foundation
import GRDB
import StoplinkCore

extension SQLiteStore {
    // MARK: Keys

    public func createKey(companyID: String, name: String, at: Date) async throws -> (key: String, stored: StoredAPIKey) {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM companies WHERE id = ?", arguments: [companyID]) != nil else {
                throw StoreError.companyNotFound(companyID)
            }
            // A prefix collision (40 bits) is astronomically rare; draw again if it happens.
            while true {
                let key = APIKey.generate()
                guard let prefix = APIKey.prefix(of: key) else { continue }
                let stored = StoredAPIKey(prefix: prefix, companyID: companyID, hash: APIKey.hash(key), name: name, createdAt: at)
                try db.execute(
                    sql: """
                        INSERT INTO api_keys (prefix, company_id, hash, name, created_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (prefix) DO NOTHING
                        """,
                    arguments: [stored.prefix, companyID, stored.hash, name, Millis.from(at)]
                )
                if db.changesCount == 1 { return (key, stored) }
            }
        }
    }

    public func key(prefix: String) async throws -> StoredAPIKey? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE prefix = ?", arguments: [prefix]).map(Self.apiKey)
        }
    }

    public func keys(companyID: String) async throws -> [StoredAPIKey] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM api_keys WHERE company_id = ? ORDER BY created_at, prefix", arguments: [companyID]
            ).map(Self.apiKey)
        }
    }

    public func revokeKey(prefix: String, companyID: String?, at: Date) async throws -> StoredAPIKey? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE prefix = ?", arguments: [prefix]) else {
                return nil
            }
            var key = try Self.apiKey(row)
            if let companyID, key.companyID != companyID { return nil }
            if key.revokedAt == nil {
                try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE prefix = ?", arguments: [Millis.from(at), prefix])
                key.revokedAt = at
            }
            return key
        }
    }

    public func touchKey(prefix: String, at: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE prefix = ?", arguments: [Millis.from(at), prefix])
        }
    }

    static func apiKey(_ row: Row) throws -> StoredAPIKey {
        StoredAPIKey(
            prefix: row["prefix"], companyID: row["company_id"], hash: row["hash"], name: row["name"],
            createdAt: Millis.date(row["created_at"]), lastUsedAt: (row["last_used_at"] as Int64?).map(Millis.date),
            revokedAt: (row["revoked_at"] as Int64?).map(Millis.date)
        )
    }

    // MARK: Campaigns, checks and consent

    public func campaigns(companyID: String) async throws -> [Campaign] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM campaigns WHERE company_id = ? ORDER BY created_at, id", arguments: [companyID]
            ).map(Self.campaign)
        }
    }

    public func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult] {
        try await writer.read { db in
            let statement = try db.cachedStatement(sql: Self.suppressionSQL)
            return try phones.map { phone in
                CheckResult(
                    phone: phone,
                    suppression: try Row.fetchOne(statement, arguments: [companyID, phone.e164]).map { try Self.suppression($0) }
                )
            }
        }
    }

    public func recordOptIn(
        companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, at: Date
    ) async throws -> ConsentEvent? {
        try await writer.write { db in try Self.recordOptIn(db, companyID: companyID, phone: phone, source: source, evidence: evidence, at: at) }
    }

    /// The opt-in's ledger row and deliveries, and the suppression removed, in the caller's transaction.
    static func recordOptIn(
        _ db: Database, companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, at: Date
    ) throws -> ConsentEvent? {
        do {
            let current = try Self.suppression(db, companyID: companyID, phone: phone)
            guard let current, LedgerRules.optIn(over: current.scope) == .record else { return nil }
            try db.execute(
                sql: """
                    INSERT INTO consent_events (company_id, action, phone, scope, source, evidence, occurred_at)
                    VALUES (?, 'opt_in', ?, ?, ?, ?, ?)
                    """,
                arguments: [companyID, phone.e164, current.scope.rawValue, source.rawValue, evidence, Millis.from(at)]
            )
            let seq = db.lastInsertedRowID
            try Self.enqueueDeliveries(db, companyID: companyID, seq: seq, action: .optIn, at: at)
            try db.execute(sql: "DELETE FROM suppressions WHERE company_id = ? AND phone = ?", arguments: [companyID, phone.e164])
            return try Self.events(db, where: "e.seq = ?", [seq]).first
        }
    }

    public func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope) async throws -> ImportCounts {
        try await writer.write { db in
            let exists = try db.cachedStatement(sql: "SELECT scope FROM suppressions WHERE company_id = ? AND phone = ?")
            let event = try db.cachedStatement(sql: """
                INSERT INTO consent_events (company_id, action, phone, scope, source, reason, occurred_at)
                VALUES (?, 'opt_out', ?, ?, 'import', ?, ?)
                """)
            let suppression = try db.cachedStatement(sql: """
                INSERT INTO suppressions (company_id, phone, scope, since, source, last_seq) VALUES (?, ?, ?, ?, 'import', ?)
                ON CONFLICT (company_id, phone) DO UPDATE SET
                    scope = excluded.scope, since = excluded.since, source = excluded.source, campaign_id = NULL,
                    last_seq = excluded.last_seq
                """)
            var counts = ImportCounts(added: 0, already: 0)
            for row in rows {
                let current = try String.fetchOne(exists, arguments: [companyID, row.phone.e164])
                    .map { try Self.decode(OptOutScope.self, $0, column: "suppressions.scope") }
                if LedgerRules.importedOptOut(scope, over: current) != .record {
                    counts.already += 1
                    continue
                }
                let when = Millis.from(row.optedOutAt)
                try event.execute(arguments: [companyID, row.phone.e164, scope.rawValue, row.reason, when])
                let seq = db.lastInsertedRowID
                try Self.enqueueDeliveries(db, companyID: companyID, seq: seq, action: .optOut, at: row.optedOutAt)
                try suppression.execute(arguments: [companyID, row.phone.e164, scope.rawValue, when, seq])
                counts.added += 1
            }
            return counts
        }
    }

    // MARK: Stats

    public func stats(campaign: Campaign, reasonTextLimit: Int, reasonTextsBefore: Int64?) async throws -> CampaignStats {
        try await writer.read { db in
            let id = campaign.id
            let links = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM links WHERE campaign_id = ?", arguments: [id]) ?? 0
            let visitRow = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FILTER (WHERE v.kind = 'human') AS human,
                           COUNT(*) FILTER (WHERE v.kind = 'bot') AS bot,
                           COUNT(DISTINCT v.visitor) FILTER (WHERE v.kind = 'human') AS unique_humans
                    FROM visits v JOIN links l ON l.id = v.link_id WHERE l.campaign_id = ?
                    """,
                arguments: [id]
            )
            var bySource: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT source, COUNT(*) AS n FROM consent_events WHERE campaign_id = ? AND action = 'opt_out' GROUP BY source",
                arguments: [id]
            ) {
                bySource[row["source"]] = row["n"]
            }
            let reasons = try Row.fetchAll(
                db,
                sql: """
                    SELECT reason, COUNT(*) AS n FROM consent_events
                    WHERE campaign_id = ? AND action = 'opt_out' AND reason IS NOT NULL
                    GROUP BY reason ORDER BY n DESC, reason
                    """,
                arguments: [id]
            ).map { (key: $0["reason"] as String, count: $0["n"] as Int) }
            let texts = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, reason_text, occurred_at FROM consent_events
                    WHERE campaign_id = ? AND action = 'opt_out' AND reason_text IS NOT NULL AND seq < ?
                    ORDER BY seq DESC LIMIT ?
                    """,
                arguments: [id, reasonTextsBefore ?? Int64.max, reasonTextLimit]
            ).map { CampaignStats.ReasonText(seq: $0["seq"], text: $0["reason_text"], occurredAt: Millis.date($0["occurred_at"])) }
            let perDay = try Row.fetchAll(
                db,
                sql: """
                    SELECT date(occurred_at / 1000, 'unixepoch') AS day, COUNT(*) AS n FROM consent_events
                    WHERE campaign_id = ? AND action = 'opt_out' GROUP BY day ORDER BY day
                    """,
                arguments: [id]
            ).map { (date: $0["day"] as String, optOuts: $0["n"] as Int) }
            return CampaignStats(
                links: links,
                visits: VisitCounts(human: visitRow?["human"] ?? 0, bot: visitRow?["bot"] ?? 0, uniqueHumans: visitRow?["unique_humans"] ?? 0),
                optOutsBySource: bySource, reasons: reasons, reasonTexts: texts, perDay: perDay
            )
        }
    }

    // MARK: Idempotency

    public func idempotentAnswer(companyID: String, key: String) async throws -> IdempotentAnswer? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM idempotent_answers WHERE company_id = ? AND key = ?", arguments: [companyID, key]
            ).map { row in
                IdempotentAnswer(requestHash: row["request_hash"], status: row["status"], contentType: row["content_type"], body: row["body"])
            }
        }
    }

    public func saveIdempotentAnswer(companyID: String, key: String, answer: IdempotentAnswer, at: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO idempotent_answers (company_id, key, request_hash, status, content_type, body, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (company_id, key) DO NOTHING
                    """,
                arguments: [companyID, key, answer.requestHash, answer.status, answer.contentType, answer.body, Millis.from(at)]
            )
            return db.changesCount == 1
        }
    }
}
