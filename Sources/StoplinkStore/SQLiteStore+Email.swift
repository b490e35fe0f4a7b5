import Foundation
import GRDB
import StoplinkCore

/// `EmailStore` on SQLite: recipients, the email queue and its claims.
extension SQLiteStore {
    /// Writes one pending forward email of opt-out `seq` per recipient who wants forwards;
    /// called inside the transaction that writes the opt-out.
    static func enqueueForwardEmails(_ db: Database, companyID: String, seq: Int64, at: Date) throws {
        let now = Millis.from(at)
        try db.cachedStatement(sql: """
            INSERT INTO emails (company_id, address, kind, seq, next_attempt_at, created_at)
            SELECT company_id, address, 'forward', ?, ?, ? FROM email_recipients WHERE company_id = ? AND forward = 1
            """).execute(arguments: [seq, now, now, companyID])
    }

    public func setEmailRecipient(companyID: String, address: String, forward: Bool, digest: Bool, at: Date) async throws -> EmailRecipient {
        guard EmailAddress.isValid(address) else {
            throw StoreError.invalidEmailRecipient("\(address.debugDescription) is not a plain email address (name@example.com)")
        }
        guard forward || digest else { throw StoreError.invalidEmailRecipient("a recipient gets forwards, the digest or both") }
        return try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM companies WHERE id = ?", arguments: [companyID]) == true else {
                throw StoreError.companyNotFound(companyID)
            }
            try db.execute(
                sql: """
                    INSERT INTO email_recipients (company_id, address, forward, digest, created_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (company_id, address) DO UPDATE SET forward = excluded.forward, digest = excluded.digest
                    """,
                arguments: [companyID, address, forward, digest, Millis.from(at)]
            )
            guard let row = try Row.fetchOne(
                db, sql: "SELECT * FROM email_recipients WHERE company_id = ? AND address = ?", arguments: [companyID, address]
            ) else { throw DatabaseError(message: "email recipient vanished inside its own transaction") }
            return Self.recipient(row)
        }
    }

    public func removeEmailRecipient(companyID: String, address: String) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM emails WHERE company_id = ? AND address = ? AND status = 'pending'", arguments: [companyID, address]
            )
            try db.execute(sql: "DELETE FROM email_recipients WHERE company_id = ? AND address = ?", arguments: [companyID, address])
            return db.changesCount == 1
        }
    }

    public func emailRecipients(companyID: String) async throws -> [EmailRecipient] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM email_recipients WHERE company_id = ? ORDER BY address", arguments: [companyID])
                .map(Self.recipient)
        }
    }

    static func recipient(_ row: Row) -> EmailRecipient {
        EmailRecipient(
            companyID: row["company_id"], address: row["address"], forward: row["forward"], digest: row["digest"],
            createdAt: Millis.date(row["created_at"])
        )
    }

    public func queueDigests(companyID: String, day: String?, subject: String, body: String, at: Date) async throws -> Int {
        let now = Millis.from(at)
        return try await backgroundWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO emails (company_id, address, kind, digest_day, subject, body, next_attempt_at, created_at)
                    SELECT company_id, address, 'digest', ?, ?, ?, ?, ? FROM email_recipients WHERE company_id = ? AND digest = 1
                    ON CONFLICT DO NOTHING
                    """,
                arguments: [day, subject, body, now, now, companyID]
            )
            return db.changesCount
        }
    }

    public func companiesDueForDigest(day: String) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT r.company_id FROM email_recipients r
                WHERE r.digest = 1 AND NOT EXISTS (
                    SELECT 1 FROM emails e WHERE e.company_id = r.company_id AND e.address = r.address AND e.digest_day = ?)
                ORDER BY r.company_id
                """, arguments: [day])
        }
    }

    public func digestFigures(companyID: String, since: Date, until: Date) async throws -> DigestFigures {
        try await writer.read { db in
            let window: StatementArguments = [companyID, Millis.from(since), Millis.from(until)]
            let scope = "e.company_id = ? AND e.action = 'opt_out' AND e.occurred_at >= ? AND e.occurred_at < ?"
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM consent_events e WHERE \(scope)", arguments: window) ?? 0
            func counts(_ key: String, join: String = "") throws -> [DigestFigures.Count] {
                try Row.fetchAll(db, sql: """
                    SELECT \(key) AS key, COUNT(*) AS count FROM consent_events e \(join)
                    WHERE \(scope) GROUP BY \(key) ORDER BY count DESC, key
                    """, arguments: window).map { DigestFigures.Count(key: $0["key"], count: $0["count"]) }
            }
            return DigestFigures(
                optOuts: total, byCampaign: try counts("c.ref", join: "LEFT JOIN campaigns c ON c.id = e.campaign_id"),
                byReason: try counts("e.reason")
            )
        }
    }

    public func claimDueEmails(at: Date, lease: TimeInterval, limit: Int) async throws -> [QueuedEmail] {
        let now = Millis.from(at)
        let leasedUntil = Millis.from(at.addingTimeInterval(lease))
        return try await backgroundWrite { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM emails WHERE status = 'pending' AND next_attempt_at <= ?
                  AND (claimed_until IS NULL OR claimed_until <= ?)
                ORDER BY next_attempt_at, id LIMIT ?
                """, arguments: [now, now, limit])
            let claim = try db.cachedStatement(sql: "UPDATE emails SET claimed_until = ? WHERE id = ?")
            for id in ids { try claim.execute(arguments: [leasedUntil, id]) }
            return try ids.compactMap { id in try Self.email(db, id: id) }
        }
    }

    public func recordEmailAttempt(id: Int64, outcome: EmailOutcome, at: Date) async throws {
        let now = Millis.from(at)
        try await backgroundWrite { db in
            switch outcome {
            case .sent:
                try db.execute(sql: """
                    UPDATE emails SET status = 'sent', attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL,
                        completed_at = ?, claimed_until = NULL WHERE id = ?
                    """, arguments: [now, id])
            case .failed(let error, let retryAt):
                try db.execute(sql: """
                    UPDATE emails SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                        completed_at = ?, claimed_until = NULL WHERE id = ?
                    """, arguments: [retryAt == nil ? "failed" : "pending", String(error.prefix(500)), retryAt.map(Millis.from),
                                     retryAt == nil ? now : nil, id])
            }
        }
    }

    public func emailFailures(companyID: String, since: Date, limit: Int) async throws -> [QueuedEmail] {
        try await writer.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM emails WHERE company_id = ? AND status = 'failed' AND completed_at >= ?
                ORDER BY completed_at DESC, id DESC LIMIT ?
                """, arguments: [companyID, Millis.from(since), limit]).compactMap { try Self.email(db, id: $0) }
        }
    }

    public func emails(companyID: String, limit: Int) async throws -> [QueuedEmail] {
        try await writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM emails WHERE company_id = ? ORDER BY id DESC LIMIT ?", arguments: [companyID, limit])
                .compactMap { try Self.email(db, id: $0) }
        }
    }

    static func email(_ db: Database, id: Int64) throws -> QueuedEmail? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM emails WHERE id = ?"), arguments: [id]) else { return nil }
        let seq: Int64? = row["seq"]
        return QueuedEmail(
            id: row["id"], companyID: row["company_id"], address: row["address"],
            kind: try decode(EmailKind.self, row["kind"], column: "emails.kind"),
            event: try seq.flatMap { try Self.events(db, where: "e.seq = ?", [$0]).first },
            subject: row["subject"], body: row["body"], status: try decode(EmailStatus.self, row["status"], column: "emails.status"),
            attempts: row["attempts"], nextAttemptAt: (row["next_attempt_at"] as Int64?).map(Millis.date), lastError: row["last_error"],
            createdAt: Millis.date(row["created_at"]), completedAt: (row["completed_at"] as Int64?).map(Millis.date),
            claimedUntil: (row["claimed_until"] as Int64?).map(Millis.date)
        )
    }
}
