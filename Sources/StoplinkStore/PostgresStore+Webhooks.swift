import Foundation
import PostgresNIO
import StoplinkCore

/// `WebhookStore` on PostgreSQL: endpoints, deliveries and their claims, shared by every process.
///
/// Lock order, so that claimers, attempts and deletions never deadlock one another: an
/// endpoint's row first, then its deliveries' rows. A claimer holds the endpoint row with
/// `FOR NO KEY UPDATE`, which leaves the `FOR KEY SHARE` of a new delivery's foreign key free:
/// opt-outs never wait for a claim.
extension PostgresStore {
    public func createEndpoint(companyID: String, url: String, description: String, eventTypes: [String], at: Date) async throws -> WebhookEndpoint {
        let endpoint = WebhookEndpoint(
            id: Identifiers.webhookEndpointID(), companyID: companyID, url: url, description: description,
            eventTypes: eventTypes, enabled: true, disabledReason: nil, secret: Identifiers.webhookSecret(), previousSecret: nil,
            previousSecretUntil: nil, createdAt: at
        )
        let types = String(decoding: try JSONEncoder().encode(eventTypes), as: UTF8.self)
        try await write { connection in
            try await connection.execute(
                """
                INSERT INTO webhook_endpoints (id, company_id, url, description, event_types, secret, created_at)
                VALUES (\(endpoint.id), \(companyID), \(url), \(description), \(types), \(endpoint.secret), \(Millis.from(at)))
                """,
                logger: logger
            )
        }
        return endpoint
    }

    public func endpoints(companyID: String) async throws -> [WebhookEndpoint] {
        try await read { connection in
            try await connection.all(
                "SELECT * FROM webhook_endpoints WHERE company_id = \(companyID) ORDER BY created_at, id", logger: logger, Self.endpoint
            )
        }
    }

    public func endpoint(id: String, companyID: String) async throws -> WebhookEndpoint? {
        try await read { connection in try await Self.endpoint(connection, id: id, companyID: companyID, logger: logger) }
    }

    static func endpoint(_ connection: PostgresConnection, id: String, companyID: String, logger: Logger) async throws -> WebhookEndpoint? {
        try await connection.first(
            "SELECT * FROM webhook_endpoints WHERE id = \(id) AND company_id = \(companyID)", logger: logger, endpoint
        )
    }

    /// Deliveries and test deliveries go with their endpoint (`ON DELETE CASCADE`), after its row is locked.
    public func deleteEndpoint(id: String, companyID: String) async throws -> Bool {
        try await write { connection in
            try await connection.count(
                "DELETE FROM webhook_endpoints WHERE id = \(id) AND company_id = \(companyID) RETURNING 1", logger: logger
            ) == 1
        }
    }

    public func rotateSecret(id: String, companyID: String, keepPreviousUntil: Date) async throws -> WebhookEndpoint? {
        try await write { connection in
            try await connection.first(
                """
                UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = \(Millis.from(keepPreviousUntil)),
                    secret = \(Identifiers.webhookSecret())
                WHERE id = \(id) AND company_id = \(companyID) RETURNING *
                """,
                logger: logger, Self.endpoint
            )
        }
    }

    public func setEndpointEnabled(id: String, companyID: String, enabled: Bool, reason: String?) async throws -> WebhookEndpoint? {
        try await write { connection in
            try await connection.first(
                """
                UPDATE webhook_endpoints SET enabled = \(enabled), disabled_reason = \(enabled ? nil : reason)
                WHERE id = \(id) AND company_id = \(companyID) RETURNING *
                """,
                logger: logger, Self.endpoint
            )
        }
    }

    static func endpoint(_ row: PostgresRandomAccessRow) throws -> WebhookEndpoint {
        let stored = try row.value("event_types", as: String.self)
        // A corrupt list must not read as "every type" (the empty list).
        guard let types = try? JSONDecoder().decode([String].self, from: Data(stored.utf8)),
              types.allSatisfy(WebhookEventType.all.contains) else {
            throw StoreError.unknownStoredValue(column: "webhook_endpoints.event_types", value: stored)
        }
        return WebhookEndpoint(
            id: try row.value("id"), companyID: try row.value("company_id"), url: try row.value("url"),
            description: try row.value("description"), eventTypes: types, enabled: try row.value("enabled"),
            disabledReason: try row.value("disabled_reason"), secret: try row.value("secret"),
            previousSecret: try row.value("previous_secret"), previousSecretUntil: try row.optionalDate("previous_secret_until"),
            createdAt: try row.date("created_at")
        )
    }

    public func deliveries(endpointID: String, limit: Int) async throws -> [WebhookDelivery] {
        try await read { connection in
            try await connection.all(
                "\(unescaped: Self.deliveryColumns) WHERE d.endpoint_id = \(endpointID) ORDER BY d.id DESC LIMIT \(Int64(limit))",
                logger: logger, Self.delivery
            )
        }
    }

    /// The delivery's row is locked before its claim is read, so a claim that commits meanwhile
    /// is seen, and a claimer that comes after sees the retry.
    public func retryDelivery(number: Int64, endpointID: String, at: Date) async throws -> WebhookDelivery? {
        let now = Millis.from(at)
        return try await write { connection in
            guard let claimedUntil = try await connection.first(
                "SELECT claimed_until FROM webhook_deliveries WHERE number = \(number) AND endpoint_id = \(endpointID) FOR UPDATE",
                logger: logger, { row in try row.value("claimed_until", as: Int64?.self) }
            ) else { return nil }
            if let claimedUntil, claimedUntil > now { throw StoreError.deliveryInFlight(number) }
            try await connection.execute(
                """
                UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = \(now), completed_at = NULL,
                    claimed_until = NULL
                WHERE number = \(number) AND endpoint_id = \(endpointID)
                """,
                logger: logger
            )
            return try await connection.first(
                "\(unescaped: Self.deliveryColumns) WHERE d.number = \(number) AND d.endpoint_id = \(endpointID)",
                logger: logger, Self.delivery
            )
        }
    }

    public func recordTestDelivery(_ test: WebhookTestDelivery) async throws {
        try await write { connection in
            try await connection.execute(
                """
                INSERT INTO webhook_test_deliveries (endpoint_id, message_id, succeeded, status_code, error, sent_at)
                VALUES (\(test.endpointID), \(test.messageID), \(test.succeeded), \(test.statusCode.map(Int32.init)),
                        \(test.error), \(Millis.from(test.sentAt)))
                """,
                logger: logger
            )
            try await connection.execute(
                """
                DELETE FROM webhook_test_deliveries WHERE endpoint_id = \(test.endpointID) AND id NOT IN (
                    SELECT id FROM webhook_test_deliveries WHERE endpoint_id = \(test.endpointID)
                    ORDER BY id DESC LIMIT \(Int64(WebhookTestDelivery.kept)))
                """,
                logger: logger
            )
        }
    }

    public func testDeliveries(endpointID: String, limit: Int) async throws -> [WebhookTestDelivery] {
        try await read { connection in
            try await connection.all(
                "SELECT * FROM webhook_test_deliveries WHERE endpoint_id = \(endpointID) ORDER BY id DESC LIMIT \(Int64(limit))",
                logger: logger
            ) { row in
                WebhookTestDelivery(
                    endpointID: try row.value("endpoint_id"), messageID: try row.value("message_id"),
                    succeeded: try row.value("succeeded"), statusCode: try row.value("status_code", as: Int32?.self).map(Int.init),
                    error: try row.value("error"), sentAt: try row.date("sent_at")
                )
            }
        }
    }

    /// Two steps in one transaction. First the endpoints whose head (oldest pending delivery)
    /// is due and not leased are locked, skipping those another claimer holds. Then, in a new
    /// statement that sees every claim committed meanwhile, each locked endpoint's line is
    /// locked and its head checked again: a claimer that committed between our first read and
    /// our lock has leased the head, and that endpoint is left to it. So one caller at a time
    /// holds an endpoint's line, and within it deliveries go out oldest first.
    public func claimDueDeliveries(
        at now: Date, lease: TimeInterval, perEndpoint: Int, endpoints: Int
    ) async throws -> [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])] {
        let nowMillis = Millis.from(now)
        let leasedUntil = Millis.from(now.addingTimeInterval(lease))
        return try await write { connection in
            let heads = try await connection.all(
                """
                SELECT e.* FROM webhook_endpoints e
                CROSS JOIN LATERAL (
                    SELECT d.id, d.next_attempt_at, d.claimed_until FROM webhook_deliveries d
                    WHERE d.endpoint_id = e.id AND d.status = 'pending' ORDER BY d.id LIMIT 1
                ) head
                WHERE e.enabled AND head.next_attempt_at <= \(nowMillis)
                  AND (head.claimed_until IS NULL OR head.claimed_until <= \(nowMillis))
                ORDER BY head.id LIMIT \(Int64(endpoints))
                FOR NO KEY UPDATE OF e SKIP LOCKED
                """,
                logger: logger, Self.endpoint
            )
            guard !heads.isEmpty else { return [] }
            let lines = try await connection.all(
                """
                SELECT d.*, ev.company_seq FROM unnest(\(heads.map(\.id))::text[]) AS held(endpoint_id)
                CROSS JOIN LATERAL (
                    SELECT * FROM webhook_deliveries w WHERE w.endpoint_id = held.endpoint_id AND w.status = 'pending'
                    ORDER BY w.id LIMIT \(Int64(perEndpoint)) FOR UPDATE
                ) d
                JOIN consent_events ev ON ev.seq = d.seq
                ORDER BY d.id
                """,
                logger: logger, Self.delivery
            )
            // A head leased between the first statement's read and our lock belongs to that claimer.
            let byEndpoint = Dictionary(grouping: lines, by: \.endpointID).filter { _, line in
                guard let head = line.first, let due = head.nextAttemptAt else { return false }
                return Millis.from(due) <= nowMillis && head.claimedUntil.map { Millis.from($0) <= nowMillis } ?? true
            }
            let claimedIDs = byEndpoint.values.flatMap { $0.map(\.id) }
            guard !claimedIDs.isEmpty else { return [] }
            try await connection.execute(
                "UPDATE webhook_deliveries SET claimed_until = \(leasedUntil) WHERE id = ANY(\(claimedIDs))", logger: logger
            )
            let events = try await Self.events(connection, rowIDs: byEndpoint.values.flatMap { $0.map(\.seq) }, logger: logger)
            let bySeq = Dictionary(uniqueKeysWithValues: events.map { ($0.rowID, $0) })
            return heads.compactMap { endpoint in
                byEndpoint[endpoint.id].map { line in
                    (endpoint, line.compactMap { delivery in
                        var delivery = delivery
                        delivery.claimedUntil = Millis.date(leasedUntil)
                        return bySeq[delivery.seq].map { (delivery, $0) }
                    })
                }
            }
        }
    }

    /// Each delivery is released only while it still carries the lease it was claimed with.
    public func releaseClaims(_ deliveries: [WebhookDelivery]) async throws {
        let claimed = deliveries.compactMap { delivery in delivery.claimedUntil.map { (delivery.id, Millis.from($0)) } }
        guard !claimed.isEmpty else { return }
        try await write { connection in
            try await connection.execute(
                """
                UPDATE webhook_deliveries d SET claimed_until = NULL
                FROM unnest(\(claimed.map(\.0))::bigint[], \(claimed.map(\.1))::bigint[]) AS held(id, claimed_until)
                WHERE d.id = held.id AND d.claimed_until = held.claimed_until
                """,
                logger: logger
            )
        }
    }

    public func recordAttempts(_ attempts: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)], at: Date) async throws {
        guard !attempts.isEmpty else { return }
        let now = Millis.from(at)
        let disabling = Set(attempts.filter { $0.outcome == .gone }.map(\.endpointID)).sorted()
        try await write { connection in
            if !disabling.isEmpty {
                // The endpoint's row before its deliveries' rows, as a claimer takes them.
                try await connection.execute(
                    "SELECT 1 FROM webhook_endpoints WHERE id = ANY(\(disabling)) ORDER BY id FOR NO KEY UPDATE", logger: logger
                )
            }
            for (deliveryID, endpointID, outcome) in attempts {
                try await Self.recordAttempt(connection, deliveryID: deliveryID, endpointID: endpointID, outcome: outcome, now: now, logger: logger)
            }
        }
    }

    static func recordAttempt(
        _ connection: PostgresConnection, deliveryID: Int64, endpointID: String, outcome: AttemptOutcome, now: Int64, logger: Logger
    ) async throws {
        switch outcome {
        case .succeeded(let code):
            try await connection.execute(
                """
                UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, last_status_code = \(Int32(clamping: code)),
                    last_error = NULL, next_attempt_at = NULL, completed_at = \(now), claimed_until = NULL WHERE id = \(deliveryID)
                """,
                logger: logger
            )
        case .failed(let code, let error, let retryAt):
            try await connection.execute(
                """
                UPDATE webhook_deliveries SET status = \(retryAt == nil ? "failed" : "pending"), attempts = attempts + 1,
                    last_status_code = \(code.map { Int32(clamping: $0) }), last_error = \(error),
                    next_attempt_at = \(retryAt.map(Millis.from)), completed_at = \(retryAt == nil ? now : nil), claimed_until = NULL
                WHERE id = \(deliveryID)
                """,
                logger: logger
            )
        case .gone:
            try await connection.execute(
                """
                UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_status_code = 410,
                    last_error = 'the endpoint answered 410 Gone and was disabled', next_attempt_at = NULL,
                    completed_at = \(now), claimed_until = NULL WHERE id = \(deliveryID)
                """,
                logger: logger
            )
            try await connection.execute(
                "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = 'answered 410 Gone' WHERE id = \(endpointID)",
                logger: logger
            )
        }
    }

    public func deliveryBacklog() async throws -> DeliveryBacklog {
        try await read { connection in
            try await connection.first(
                """
                SELECT COUNT(*) AS count, MIN(d.created_at) AS oldest FROM webhook_deliveries d
                JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.status = 'pending' AND e.enabled
                """,
                logger: logger
            ) { row in
                DeliveryBacklog(count: Int(try row.value("count", as: Int64.self)), oldest: try row.optionalDate("oldest"))
            } ?? DeliveryBacklog(count: 0, oldest: nil)
        }
    }

    public func failingEndpoints(companyID: String, since: Date) async throws -> [FailingEndpoint] {
        try await read { connection in
            try await connection.all(
                """
                SELECT * FROM (
                    SELECT e.*,
                        (SELECT COUNT(*) FROM webhook_deliveries d
                            WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.attempts > 0) AS retrying,
                        (SELECT COUNT(*) FROM webhook_deliveries d
                            WHERE d.endpoint_id = e.id AND d.status = 'failed' AND d.completed_at >= \(Millis.from(since))) AS failed_since,
                        (SELECT d.last_error FROM webhook_deliveries d
                            WHERE d.endpoint_id = e.id AND d.last_error IS NOT NULL AND (d.status = 'failed' OR d.attempts > 0)
                            ORDER BY d.id DESC LIMIT 1) AS latest_error
                    FROM webhook_endpoints e WHERE e.company_id = \(companyID)
                ) AS endpoint WHERE NOT enabled OR retrying > 0 OR failed_since > 0
                ORDER BY created_at, id
                """,
                logger: logger
            ) { row in
                FailingEndpoint(
                    endpoint: try Self.endpoint(row), retrying: Int(try row.value("retrying", as: Int64.self)),
                    failed: Int(try row.value("failed_since", as: Int64.self)), lastError: try row.value("latest_error")
                )
            }
        }
    }

    /// What `delivery(_:)` reads: the delivery's columns and its event's place in the company's feed.
    static let deliveryColumns = "SELECT d.*, ev.company_seq FROM webhook_deliveries d JOIN consent_events ev ON ev.seq = d.seq"

    static func delivery(_ row: PostgresRandomAccessRow) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.value("id"), number: try row.value("number"), endpointID: try row.value("endpoint_id"),
            seq: try row.value("seq"), eventSeq: try row.value("company_seq"),
            status: try decode(DeliveryStatus.self, try row.value("status"), column: "webhook_deliveries.status"),
            attempts: Int(try row.value("attempts", as: Int32.self)), nextAttemptAt: try row.optionalDate("next_attempt_at"),
            lastStatusCode: try row.value("last_status_code", as: Int32?.self).map(Int.init), lastError: try row.value("last_error"),
            createdAt: try row.date("created_at"), completedAt: try row.optionalDate("completed_at"),
            claimedUntil: try row.optionalDate("claimed_until")
        )
    }
}
