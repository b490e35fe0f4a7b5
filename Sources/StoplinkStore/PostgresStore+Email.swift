import Foundation
import PostgresNIO
import StoplinkCore

/// `EmailStore` on PostgreSQL: recipients, the email queue and its claims, shared by every process.
extension PostgresStore {
    public func setEmailRecipient(companyID: String, address: String, forward: Bool, digest: Bool, at: Date) async throws -> EmailRecipient {
        guard EmailAddress.isValid(address) else {
            throw StoreError.invalidEmailRecipient("\(address.debugDescription) is not a plain email address (name@example.com)")
        }
        guard forward || digest else { throw StoreError.invalidEmailRecipient("a recipient gets forwards, the digest or both") }
        return try await write { connection in
            guard try await connection.scalar("SELECT 1 FROM companies WHERE id = \(companyID)", as: Int32.self, logger: logger) != nil else {
                throw StoreError.companyNotFound(companyID)
            }
            // The address first given is kept; a change in case only changes what they get.
            let recipient = try await connection.first(
                """
                INSERT INTO email_recipients (company_id, address, forward, digest, created_at)
                VALUES (\(companyID), \(address), \(forward), \(digest), \(Millis.from(at)))
                ON CONFLICT (company_id, lower(address)) DO UPDATE SET forward = EXCLUDED.forward, digest = EXCLUDED.digest
                RETURNING *
                """,
                logger: logger, Self.recipient
            )
            guard let recipient else { throw StoreError.companyNotFound(companyID) }
            return recipient
        }
    }

    /// Holds the company row (every ledger write takes it) while the recipient and their pending
    /// emails go, so an opt-out committing meanwhile cannot leave an email behind for them.
    public func removeEmailRecipient(companyID: String, address: String) async throws -> Bool {
        try await write { connection in
            try await connection.execute("SELECT 1 FROM companies WHERE id = \(companyID) FOR SHARE", logger: logger)
            try await connection.execute(
                """
                DELETE FROM emails WHERE company_id = \(companyID) AND lower(address) = lower(\(address)) AND status = 'pending'
                """,
                logger: logger
            )
            return try await connection.count(
                "DELETE FROM email_recipients WHERE company_id = \(companyID) AND lower(address) = lower(\(address)) RETURNING 1",
                logger: logger
            ) == 1
        }
    }

    public func emailRecipients(companyID: String) async throws -> [EmailRecipient] {
        try await read { connection in
            try await connection.all(
                "SELECT * FROM email_recipients WHERE company_id = \(companyID) ORDER BY lower(address) COLLATE \"C\"",
                logger: logger, Self.recipient
            )
        }
    }

    static func recipient(_ row: PostgresRandomAccessRow) throws -> EmailRecipient {
        EmailRecipient(
            companyID: try row.value("company_id"), address: try row.value("address"), forward: try row.value("forward"),
            digest: try row.value("digest"), createdAt: try row.date("created_at")
        )
    }

    /// `emails_one_digest_a_day` refuses a second digest of a day, whoever inserts it.
    public func queueDigests(companyID: String, day: String?, subject: String, body: String, at: Date) async throws -> Int {
        let now = Millis.from(at)
        return try await write { connection in
            try await connection.count(
                """
                INSERT INTO emails (company_id, address, kind, digest_day, subject, body, next_attempt_at, created_at)
                SELECT company_id, address, 'digest', \(day), \(subject), \(body), \(now), \(now)
                FROM email_recipients WHERE company_id = \(companyID) AND digest
                ON CONFLICT DO NOTHING RETURNING 1
                """,
                logger: logger
            )
        }
    }

    public func companiesDueForDigest(day: String) async throws -> [String] {
        try await read { connection in
            try await connection.all(
                """
                SELECT DISTINCT r.company_id FROM email_recipients r
                WHERE r.digest AND NOT EXISTS (
                    SELECT 1 FROM emails e
                    WHERE e.company_id = r.company_id AND lower(e.address) = lower(r.address) AND e.digest_day = \(day))
                ORDER BY r.company_id
                """,
                logger: logger
            ) { row in try row.value("company_id", as: String.self) }
        }
    }

    /// One pass over the window: the total, by campaign and by reason as grouping sets.
    public func digestFigures(companyID: String, since: Date, until: Date) async throws -> DigestFigures {
        let rows = try await read { connection in
            try await connection.all(
                """
                SELECT c.ref, e.reason, GROUPING(c.ref) AS without_campaign, GROUPING(e.reason) AS without_reason, COUNT(*) AS count
                FROM consent_events e LEFT JOIN campaigns c ON c.id = e.campaign_id
                WHERE e.company_id = \(companyID) AND e.action = 'opt_out'
                  AND e.occurred_at >= \(Millis.from(since)) AND e.occurred_at < \(Millis.from(until))
                GROUP BY GROUPING SETS ((c.ref), (e.reason), ())
                """,
                logger: logger
            ) { row in
                (campaign: try row.value("ref", as: String?.self), reason: try row.value("reason", as: String?.self),
                 byCampaign: try row.value("without_campaign", as: Int32.self) == 0,
                 byReason: try row.value("without_reason", as: Int32.self) == 0,
                 count: Int(try row.value("count", as: Int64.self)))
            }
        }
        // Most first; then by key, none first, as SQLite orders them.
        func ranked(_ counts: [DigestFigures.Count]) -> [DigestFigures.Count] {
            counts.sorted { left, right in
                if left.count != right.count { return left.count > right.count }
                switch (left.key, right.key) {
                case (nil, nil), (_, nil): return false
                case (nil, _): return true
                case (let left?, let right?): return Array(left.utf8).lexicographicallyPrecedes(right.utf8)
                }
            }
        }
        return DigestFigures(
            optOuts: rows.first { !$0.byCampaign && !$0.byReason }?.count ?? 0,
            byCampaign: ranked(rows.filter(\.byCampaign).map { DigestFigures.Count(key: $0.campaign, count: $0.count) }),
            byReason: ranked(rows.filter(\.byReason).map { DigestFigures.Count(key: $0.reason, count: $0.count) })
        )
    }

    /// Locks the due emails it takes, skipping those another claimer is taking; a row that
    /// another claimer leased meanwhile is read again under its lock and left out.
    public func claimDueEmails(at: Date, lease: TimeInterval, limit: Int) async throws -> [QueuedEmail] {
        let now = Millis.from(at)
        let leasedUntil = Millis.from(at.addingTimeInterval(lease))
        return try await write { connection in
            let claimed = try await Self.emails(
                connection,
                """
                UPDATE emails SET claimed_until = \(leasedUntil) WHERE id IN (
                    SELECT id FROM emails WHERE status = 'pending' AND next_attempt_at <= \(now)
                      AND (claimed_until IS NULL OR claimed_until <= \(now))
                    ORDER BY next_attempt_at, id LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED)
                RETURNING *
                """,
                logger: logger
            )
            return claimed.sorted { ($0.nextAttemptAt ?? .distantPast, $0.id) < ($1.nextAttemptAt ?? .distantPast, $1.id) }
        }
    }

    public func recordEmailAttempt(id: Int64, outcome: EmailOutcome, at: Date) async throws {
        let now = Millis.from(at)
        try await write { connection in
            switch outcome {
            case .sent:
                try await connection.execute(
                    """
                    UPDATE emails SET status = 'sent', attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL,
                        completed_at = \(now), claimed_until = NULL WHERE id = \(id)
                    """,
                    logger: logger
                )
            case .failed(let error, let retryAt):
                try await connection.execute(
                    """
                    UPDATE emails SET status = \(retryAt == nil ? "failed" : "pending"), attempts = attempts + 1,
                        last_error = \(String(error.prefix(500))), next_attempt_at = \(retryAt.map(Millis.from)),
                        completed_at = \(retryAt == nil ? now : nil), claimed_until = NULL
                    WHERE id = \(id)
                    """,
                    logger: logger
                )
            }
        }
    }

    public func emailFailures(companyID: String, since: Date, limit: Int) async throws -> [QueuedEmail] {
        try await read { connection in
            try await Self.emails(
                connection,
                """
                SELECT * FROM emails WHERE company_id = \(companyID) AND status = 'failed' AND completed_at >= \(Millis.from(since))
                ORDER BY completed_at DESC, id DESC LIMIT \(Int64(limit))
                """,
                logger: logger
            )
        }
    }

    public func emails(companyID: String, limit: Int) async throws -> [QueuedEmail] {
        try await read { connection in
            try await Self.emails(
                connection, "SELECT * FROM emails WHERE company_id = \(companyID) ORDER BY id DESC LIMIT \(Int64(limit))", logger: logger
            )
        }
    }

    /// The emails `query` answers, in its order, each forward with its event (read in one query).
    static func emails(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> [QueuedEmail] {
        let rows = try await connection.all(query, logger: logger) { row in
            (seq: try row.value("seq", as: Int64?.self), email: QueuedEmail(
                id: try row.value("id"), companyID: try row.value("company_id"), address: try row.value("address"),
                kind: try decode(EmailKind.self, try row.value("kind"), column: "emails.kind"), event: nil,
                subject: try row.value("subject"), body: try row.value("body"),
                status: try decode(EmailStatus.self, try row.value("status"), column: "emails.status"),
                attempts: Int(try row.value("attempts", as: Int32.self)), nextAttemptAt: try row.optionalDate("next_attempt_at"),
                lastError: try row.value("last_error"), createdAt: try row.date("created_at"),
                completedAt: try row.optionalDate("completed_at"), claimedUntil: try row.optionalDate("claimed_until")
            ))
        }
        let seqs = rows.compactMap(\.seq)
        guard !seqs.isEmpty else { return rows.map(\.email) }
        let events = try await events(connection, rowIDs: seqs, logger: logger)
        let bySeq = Dictionary(uniqueKeysWithValues: events.map { ($0.rowID, $0) })
        return rows.map { row in
            var email = row.email
            email.event = row.seq.flatMap { bySeq[$0] }
            return email
        }
    }
}
