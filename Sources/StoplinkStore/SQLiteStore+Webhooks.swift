import Foundation
import GRDB
import StoplinkCore

/// `WebhookStore` on SQLite: endpoints, deliveries and their claims.
extension SQLiteStore {
    /// Writes one pending delivery of event `seq` per enabled endpoint that wants its type;
    /// called inside the transaction that writes the event.
    static func enqueueDeliveries(_ db: Database, companyID: String, seq: Int64, action: ConsentAction, at: Date) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO webhook_deliveries (endpoint_id, seq, next_attempt_at, created_at, number)
            SELECT id, ?, ?, ?, (SELECT COALESCE(MAX(number), 0) + 1 FROM webhook_deliveries d WHERE d.endpoint_id = webhook_endpoints.id)
            FROM webhook_endpoints
            WHERE company_id = ? AND enabled = 1
              AND (event_types = '[]' OR EXISTS (SELECT 1 FROM json_each(event_types) WHERE value = ?))
            """)
        let now = Millis.from(at)
        try statement.execute(arguments: [seq, now, now, companyID, WebhookEventType.of(action)])
    }

    /// Queues, for each enabled endpoint that wants `action`, one delivery per event of the
    /// company with these feed numbers, numbered after the endpoint's last in feed order (a
    /// set of imported events at once).
    static func enqueueDeliveries(_ db: Database, companyID: String, feedNumbers: ClosedRange<Int64>, action: ConsentAction) throws {
        try db.execute(
            sql: """
                INSERT INTO webhook_deliveries (endpoint_id, seq, next_attempt_at, created_at, number)
                SELECT w.id, e.seq, e.occurred_at, e.occurred_at,
                       (SELECT COALESCE(MAX(d.number), 0) FROM webhook_deliveries d WHERE d.endpoint_id = w.id)
                           + ROW_NUMBER() OVER (PARTITION BY w.id ORDER BY e.company_seq)
                FROM webhook_endpoints w
                JOIN consent_events e ON e.company_id = w.company_id AND e.company_seq BETWEEN ? AND ?
                WHERE w.company_id = ? AND w.enabled = 1
                  AND (w.event_types = '[]' OR EXISTS (SELECT 1 FROM json_each(w.event_types) WHERE value = ?))
                ORDER BY w.id, e.company_seq
                """,
            arguments: [feedNumbers.lowerBound, feedNumbers.upperBound, companyID, WebhookEventType.of(action)]
        )
    }

    public func createEndpoint(
        companyID: String, url: String, description: String, eventTypes: [String], at: Date
    ) async throws -> WebhookEndpoint {
        let endpoint = WebhookEndpoint(
            id: Identifiers.webhookEndpointID(), companyID: companyID, url: url, description: description,
            eventTypes: eventTypes, enabled: true, disabledReason: nil, secret: Identifiers.webhookSecret(), previousSecret: nil,
            previousSecretUntil: nil, createdAt: at
        )
        let types = String(decoding: try JSONEncoder().encode(eventTypes), as: UTF8.self)
        try await write { db in
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
        try await write { db in
            for table in ["webhook_deliveries", "webhook_test_deliveries"] {
                try db.execute(
                    sql: "DELETE FROM \(table) WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE id = ? AND company_id = ?)",
                    arguments: [id, companyID]
                )
            }
            try db.execute(sql: "DELETE FROM webhook_endpoints WHERE id = ? AND company_id = ?", arguments: [id, companyID])
            return db.changesCount == 1
        }
    }

    public func rotateSecret(id: String, companyID: String, keepPreviousUntil: Date) async throws -> WebhookEndpoint? {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ?
                    WHERE id = ? AND company_id = ?
                    """,
                arguments: [Millis.from(keepPreviousUntil), Identifiers.webhookSecret(), id, companyID]
            )
            return try Self.endpoint(db, id: id, companyID: companyID)
        }
    }

    public func setEndpointEnabled(id: String, companyID: String, enabled: Bool, reason: String?) async throws -> WebhookEndpoint? {
        try await write { db in
            try db.execute(
                sql: "UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ? WHERE id = ? AND company_id = ?",
                arguments: [enabled, enabled ? nil : reason, id, companyID]
            )
            return try Self.endpoint(db, id: id, companyID: companyID)
        }
    }

    static func endpoint(_ row: Row) throws -> WebhookEndpoint {
        let stored: String = row["event_types"]
        // A corrupt list must not read as "every type" (the empty list).
        guard let types = try? JSONDecoder().decode([String].self, from: Data(stored.utf8)),
              types.allSatisfy(WebhookEventType.all.contains) else {
            throw StoreError.unknownStoredValue(column: "webhook_endpoints.event_types", value: stored)
        }
        return WebhookEndpoint(
            id: row["id"], companyID: row["company_id"], url: row["url"], description: row["description"], eventTypes: types,
            enabled: row["enabled"], disabledReason: row["disabled_reason"], secret: row["secret"],
            previousSecret: row["previous_secret"], previousSecretUntil: (row["previous_secret_until"] as Int64?).map(Millis.date),
            createdAt: Millis.date(row["created_at"])
        )
    }

    public func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDelivery] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "\(Self.deliveryColumns) WHERE d.endpoint_id = ? ORDER BY d.id DESC LIMIT ?", arguments: [endpointID, limit]
            ).map(Self.delivery)
        }
    }

    public func deliveryBacklog() async throws -> DeliveryBacklog {
        try await writer.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS count, MIN(d.created_at) AS oldest FROM webhook_deliveries d
                JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.status = 'pending' AND e.enabled = 1
                """)
            let oldest: Int64? = row?["oldest"]
            return DeliveryBacklog(count: row?["count"] ?? 0, oldest: oldest.map(Millis.date))
        }
    }

    public func failingEndpoints(companyID: String, since: Date) async throws -> [FailingEndpoint] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM (
                        SELECT e.*,
                            (SELECT COUNT(*) FROM webhook_deliveries d
                                WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.attempts > 0) AS retrying,
                            (SELECT COUNT(*) FROM webhook_deliveries d
                                WHERE d.endpoint_id = e.id AND d.status = 'failed' AND d.completed_at >= ?) AS failed_since,
                            (SELECT d.last_error FROM webhook_deliveries d
                                WHERE d.endpoint_id = e.id AND d.last_error IS NOT NULL AND (d.status = 'failed' OR d.attempts > 0)
                                ORDER BY d.id DESC LIMIT 1) AS latest_error
                        FROM webhook_endpoints e WHERE e.company_id = ?
                    ) WHERE enabled = 0 OR retrying > 0 OR failed_since > 0
                    ORDER BY created_at, id
                    """,
                arguments: [Millis.from(since), companyID]
            ).map { row in
                FailingEndpoint(
                    endpoint: try Self.endpoint(row), retrying: row["retrying"], failed: row["failed_since"], lastError: row["latest_error"]
                )
            }
        }
    }

    public func retryDelivery(number: Int64, endpointID: String, at: Date) async throws -> WebhookDelivery? {
        try await write { db in
            let claimedUntil = try Int64?.fetchOne(
                db, sql: "SELECT claimed_until FROM webhook_deliveries WHERE number = ? AND endpoint_id = ?", arguments: [number, endpointID]
            ) ?? nil
            if let claimedUntil, claimedUntil > Millis.from(at) { throw StoreError.deliveryInFlight(number) }
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, completed_at = NULL,
                        claimed_until = NULL
                    WHERE number = ? AND endpoint_id = ?
                    """,
                arguments: [Millis.from(at), number, endpointID]
            )
            return try Row.fetchOne(
                db, sql: "\(Self.deliveryColumns) WHERE d.number = ? AND d.endpoint_id = ?", arguments: [number, endpointID]
            ).map(Self.delivery)
        }
    }

    public func recordTestDelivery(_ test: WebhookTestDelivery) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO webhook_test_deliveries (endpoint_id, message_id, succeeded, status_code, error, sent_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [test.endpointID, test.messageID, test.succeeded, test.statusCode, test.error, Millis.from(test.sentAt)]
            )
            try db.execute(
                sql: """
                    DELETE FROM webhook_test_deliveries WHERE endpoint_id = ? AND id NOT IN (
                        SELECT id FROM webhook_test_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?)
                    """,
                arguments: [test.endpointID, test.endpointID, WebhookTestDelivery.kept]
            )
        }
    }

    public func testDeliveries(endpointID: String, limit: Int) async throws -> [WebhookTestDelivery] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_test_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?",
                arguments: [endpointID, limit]
            ).map { row in
                WebhookTestDelivery(
                    endpointID: row["endpoint_id"], messageID: row["message_id"], succeeded: row["succeeded"],
                    statusCode: row["status_code"], error: row["error"], sentAt: Millis.date(row["sent_at"])
                )
            }
        }
    }

    public func claimDueDeliveries(
        at now: Date, lease: TimeInterval, perEndpoint: Int, endpoints: Int
    ) async throws -> [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])] {
        let nowMillis = Millis.from(now)
        let leasedUntil = Millis.from(now.addingTimeInterval(lease))
        return try await backgroundWrite { db in
            // The head of each enabled endpoint's queue, when it is due and nobody holds it.
            let heads = try Row.fetchAll(
                db,
                sql: """
                    SELECT e.* FROM webhook_endpoints e
                    JOIN webhook_deliveries d ON d.id = (
                        SELECT MIN(id) FROM webhook_deliveries WHERE endpoint_id = e.id AND status = 'pending')
                    WHERE e.enabled = 1 AND d.next_attempt_at <= ? AND (d.claimed_until IS NULL OR d.claimed_until <= ?)
                    LIMIT ?
                    """,
                arguments: [nowMillis, nowMillis, endpoints]
            )
            let claim = try db.cachedStatement(sql: "UPDATE webhook_deliveries SET claimed_until = ? WHERE id = ?")
            return try heads.map { row in
                let endpoint = try Self.endpoint(row)
                var pending = try Row.fetchAll(
                    db,
                    sql: """
                        \(Self.deliveryColumns)
                        WHERE d.endpoint_id = ? AND d.status = 'pending' ORDER BY d.id LIMIT ?
                        """,
                    arguments: [endpoint.id, perEndpoint]
                ).map(Self.delivery)
                for index in pending.indices {
                    try claim.execute(arguments: [leasedUntil, pending[index].id])
                    pending[index].claimedUntil = Millis.date(leasedUntil)
                }
                let events = try Self.events(
                    db, where: "e.seq IN (\(pending.map { String($0.seq) }.joined(separator: ",")))", [], ordered: true, cached: false
                )
                let bySeq = Dictionary(uniqueKeysWithValues: events.map { ($0.rowID, $0) })
                return (endpoint, pending.compactMap { delivery in bySeq[delivery.seq].map { (delivery, $0) } })
            }
        }
    }

    public func releaseClaims(_ deliveries: [WebhookDelivery]) async throws {
        let claimed = deliveries.compactMap { delivery in delivery.claimedUntil.map { (delivery.id, Millis.from($0)) } }
        guard !claimed.isEmpty else { return }
        try await backgroundWrite { db in
            let release = try db.cachedStatement(sql: "UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = ? AND claimed_until = ?")
            for (id, until) in claimed { try release.execute(arguments: [id, until]) }
        }
    }

    public func recordAttempts(_ attempts: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)], at: Date) async throws {
        guard !attempts.isEmpty else { return }
        let now = Millis.from(at)
        try await backgroundWrite { db in
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
                    last_error = NULL, next_attempt_at = NULL, completed_at = ?, claimed_until = NULL WHERE id = ?
                """).execute(arguments: [code, now, deliveryID])
        case .failed(let code, let error, let retryAt):
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?,
                        next_attempt_at = ?, completed_at = ?, claimed_until = NULL WHERE id = ?
                    """,
                arguments: [retryAt == nil ? "failed" : "pending", code, error, retryAt.map(Millis.from),
                            retryAt == nil ? now : nil, deliveryID]
            )
        case .gone:
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_status_code = 410,
                        last_error = 'the endpoint answered 410 Gone and was disabled', next_attempt_at = NULL,
                        completed_at = ?, claimed_until = NULL WHERE id = ?
                    """,
                arguments: [now, deliveryID]
            )
            try db.execute(
                sql: "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'answered 410 Gone' WHERE id = ?",
                arguments: [endpointID]
            )
        }
    }

    /// What `delivery(_:)` reads: the delivery's columns and its event's place in the company's feed.
    static let deliveryColumns = "SELECT d.*, e.company_seq FROM webhook_deliveries d JOIN consent_events e ON e.seq = d.seq"

    static func delivery(_ row: Row) throws -> WebhookDelivery {
        WebhookDelivery(
            id: row["id"], number: row["number"], endpointID: row["endpoint_id"], seq: row["seq"], eventSeq: row["company_seq"],
            status: try decode(DeliveryStatus.self, row["status"], column: "webhook_deliveries.status"), attempts: row["attempts"],
            nextAttemptAt: (row["next_attempt_at"] as Int64?).map(Millis.date), lastStatusCode: row["last_status_code"],
            lastError: row["last_error"], createdAt: Millis.date(row["created_at"]),
            completedAt: (row["completed_at"] as Int64?).map(Millis.date),
            claimedUntil: (row["claimed_until"] as Int64?).map(Millis.date)
        )
    }
}
