import Crypto
import Foundation
import GRDB
import StoplinkCore

extension SQLiteStore {
    // MARK: Feed

    public func feedHead(companyID: String) async throws -> Int64 {
        try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM consent_events WHERE company_id = ?", arguments: [companyID]) ?? 0
        }
    }

    public func events(companyID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ConsentEvent] {
        try await writer.read { db in
            try Self.events(
                db, where: "e.company_id = ? AND e.seq > ? AND e.seq <= ? ORDER BY e.seq LIMIT ?",
                [companyID, after, upTo, limit], ordered: false
            )
        }
    }

    public func suppressions(companyID: String, afterPhone: String?, limit: Int) async throws -> [Suppression] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, c.ref AS campaign_ref FROM suppressions s LEFT JOIN campaigns c ON c.id = s.campaign_id
                    WHERE s.company_id = ? AND s.phone > ? ORDER BY s.phone LIMIT ?
                    """,
                arguments: [companyID, afterPhone ?? "", limit]
            ).map(Self.suppression)
        }
    }

    // MARK: Endpoints

    /// Writes one pending delivery of event `seq` per enabled endpoint that wants its type;
    /// called inside the transaction that writes the event.
    static func enqueueDeliveries(_ db: Database, companyID: String, seq: Int64, action: ConsentAction, at: Date) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO webhook_deliveries (endpoint_id, seq, next_attempt_at, created_at)
            SELECT id, ?, ?, ? FROM webhook_endpoints
            WHERE company_id = ? AND enabled = 1
              AND (event_types = '[]' OR EXISTS (SELECT 1 FROM json_each(event_types) WHERE value = ?))
            """)
        let now = Millis.from(at)
        try statement.execute(arguments: [seq, now, now, companyID, WebhookEventType.of(action)])
    }

    public func createEndpoint(
        companyID: String, url: String, description: String, eventTypes: [String], at: Date
    ) async throws -> WebhookEndpoint {
        let endpoint = WebhookEndpoint(
            id: "we_" + ShortCode.generate(length: 16), companyID: companyID, url: url, description: description,
            eventTypes: eventTypes, enabled: true, disabledReason: nil, secret: Self.newSecret(), previousSecret: nil,
            previousSecretUntil: nil, createdAt: at
        )
        let types = String(decoding: try JSONEncoder().encode(eventTypes), as: UTF8.self)
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO webhook_endpoints (id, company_id, url, description, event_types, secret, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [endpoint.id, companyID, url, description, types, endpoint.secret, Millis.from(at)]
            )
        }
        return endpoint
    }

    /// `whsec_` and base64 of 32 random bytes, as the Standard Webhooks specification has them.
    static func newSecret() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    public func endpoints(companyID: String) async throws -> [WebhookEndpoint] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_endpoints WHERE company_id = ? ORDER BY created_at, id", arguments: [companyID]
            ).map(Self.endpoint)
        }
    }

    public func endpoint(id: String, companyID: String) async throws -> WebhookEndpoint? {
        try await writer.read { db in try Self.endpoint(db, id: id, companyID: companyID) }
    }

    static func endpoint(_ db: Database, id: String, companyID: String) throws -> WebhookEndpoint? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM webhook_endpoints WHERE id = ? AND company_id = ?", arguments: [id, companyID]
        ).map(endpoint)
    }

    public func deleteEndpoint(id: String, companyID: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM webhook_deliveries WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE id = ? AND company_id = ?)", arguments: [id, companyID])
            try db.execute(sql: "DELETE FROM webhook_endpoints WHERE id = ? AND company_id = ?", arguments: [id, companyID])
            return db.changesCount == 1
        }
    }

    public func rotateSecret(id: String, companyID: String, keepPreviousUntil: Date) async throws -> WebhookEndpoint? {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ?
                    WHERE id = ? AND company_id = ?
                    """,
                arguments: [Millis.from(keepPreviousUntil), Self.newSecret(), id, companyID]
            )
            return try Self.endpoint(db, id: id, companyID: companyID)
        }
    }

    public func setEndpointEnabled(id: String, companyID: String, enabled: Bool, reason: String?) async throws -> WebhookEndpoint? {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ? WHERE id = ? AND company_id = ?",
                arguments: [enabled, enabled ? nil : reason, id, companyID]
            )
            return try Self.endpoint(db, id: id, companyID: companyID)
        }
    }

    static func endpoint(_ row: Row) -> WebhookEndpoint {
        let types = (try? JSONDecoder().decode([String].self, from: Data((row["event_types"] as String? ?? "[]").utf8))) ?? []
        return WebhookEndpoint(
            id: row["id"], companyID: row["company_id"], url: row["url"], description: row["description"], eventTypes: types,
            enabled: row["enabled"], disabledReason: row["disabled_reason"], secret: row["secret"],
            previousSecret: row["previous_secret"], previousSecretUntil: (row["previous_secret_until"] as Int64?).map(Millis.date),
            createdAt: Millis.date(row["created_at"])
        )
    }

    // MARK: Deliveries

    public func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDelivery] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?", arguments: [endpointID, limit]
            ).map(Self.delivery)
        }
    }

    public func retryDelivery(id: Int64, endpointID: String, at: Date) async throws -> WebhookDelivery? {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, completed_at = NULL
                    WHERE id = ? AND endpoint_id = ?
                    """,
                arguments: [Millis.from(at), id, endpointID]
            )
            return try Row.fetchOne(
                db, sql: "SELECT * FROM webhook_deliveries WHERE id = ? AND endpoint_id = ?", arguments: [id, endpointID]
            ).map(Self.delivery)
        }
    }

    public func dueDeliveries(
        at now: Date, perEndpoint: Int, endpoints: Int
    ) async throws -> [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])] {
        try await writer.read { db in
            // The head of each enabled endpoint's queue, when it is due.
            let heads = try Row.fetchAll(
                db,
                sql: """
                    SELECT e.*, d.next_attempt_at AS head_due FROM webhook_endpoints e
                    JOIN webhook_deliveries d ON d.id = (
                        SELECT MIN(id) FROM webhook_deliveries WHERE endpoint_id = e.id AND status = 'pending')
                    WHERE e.enabled = 1 AND d.next_attempt_at <= ?
                    LIMIT ?
                    """,
                arguments: [Millis.from(now), endpoints]
            )
            return try heads.map { row in
                let endpoint = Self.endpoint(row)
                let pending = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT d.* FROM webhook_deliveries d
                        WHERE d.endpoint_id = ? AND d.status = 'pending' ORDER BY d.id LIMIT ?
                        """,
                    arguments: [endpoint.id, perEndpoint]
                ).map(Self.delivery)
                let events = try Self.events(
                    db, where: "e.seq IN (\(pending.map { String($0.seq) }.joined(separator: ",")))", [], ordered: true, cached: false
                )
                let bySeq = Dictionary(uniqueKeysWithValues: events.map { ($0.seq, $0) })
                return (endpoint, pending.compactMap { delivery in bySeq[delivery.seq].map { (delivery, $0) } })
            }
        }
    }

    public func recordAttempts(_ attempts: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)], at: Date) async throws {
        guard !attempts.isEmpty else { return }
        let now = Millis.from(at)
        try await writer.write { db in
            for (deliveryID, endpointID, outcome) in attempts {
                try Self.recordAttempt(db, deliveryID: deliveryID, endpointID: endpointID, outcome: outcome, now: now)
            }
        }
    }

    static func recordAttempt(_ db: Database, deliveryID: Int64, endpointID: String, outcome: AttemptOutcome, now: Int64) throws {
        switch outcome {
        case .succeeded(let code):
            try db.cachedStatement(sql: """
                UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, last_status_code = ?,
                    last_error = NULL, next_attempt_at = NULL, completed_at = ? WHERE id = ?
                """).execute(arguments: [code, now, deliveryID])
        case .failed(let code, let error, let retryAt):
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?,
                        next_attempt_at = ?, completed_at = ? WHERE id = ?
                    """,
                arguments: [retryAt == nil ? "failed" : "pending", code, error, retryAt.map(Millis.from),
                            retryAt == nil ? now : nil, deliveryID]
            )
        case .gone:
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_status_code = 410,
                        last_error = 'the endpoint answered 410 Gone and was disabled', next_attempt_at = NULL,
                        completed_at = ? WHERE id = ?
                    """,
                arguments: [now, deliveryID]
            )
            try db.execute(
                sql: "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'answered 410 Gone' WHERE id = ?",
                arguments: [endpointID]
            )
        }
    }

    static func delivery(_ row: Row) -> WebhookDelivery {
        WebhookDelivery(
            id: row["id"], endpointID: row["endpoint_id"], seq: row["seq"],
            status: DeliveryStatus(rawValue: row["status"]) ?? .pending, attempts: row["attempts"],
            nextAttemptAt: (row["next_attempt_at"] as Int64?).map(Millis.date), lastStatusCode: row["last_status_code"],
            lastError: row["last_error"], createdAt: Millis.date(row["created_at"]),
            completedAt: (row["completed_at"] as Int64?).map(Millis.date)
        )
    }
}
