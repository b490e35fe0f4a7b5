import Foundation
import Logging
import PostgresNIO

/// PostgreSQL's own schema history: append-only, each step applied once, in order, in its own
/// transaction. Never edit a step that has shipped; add one.
///
/// The schema mirrors SQLite's (times in Unix milliseconds, enums as checked text) so that
/// `stoplink copy` moves rows unchanged, with two differences: each company keeps the head of
/// its feed (`companies.feed_head`), taken under the company row's lock in the event's own
/// transaction so feed numbers become visible in commit order; and emails compare without case
/// through indexes on `lower(...)` instead of SQLite's `COLLATE NOCASE`.
enum PostgresMigrations {
    struct Step {
        let identifier: String
        let sql: String
    }

    /// Any fixed number: every Stoplink process migrating this database takes the same lock.
    static let advisoryLock: Int64 = 0x5374_6F70_6C69_6E6B

    static let steps: [Step] = [
        Step(identifier: "001-schema", sql: schema),
    ]

    /// Applies the missing steps under an advisory lock, so processes that start at once
    /// migrate once; refuses a database that a newer build has migrated.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.execute("SELECT pg_advisory_lock(\(advisoryLock))", logger: logger)
            do {
                let applied = try await appliedSteps(connection, logger: logger)
                try refuseNewer(applied)
                var done: [String] = []
                for step in steps where !applied.contains(step.identifier) {
                    try await connection.execute("BEGIN", logger: logger)
                    do {
                        // The extended protocol runs one statement per query.
                        for statement in statements(step.sql) {
                            try await connection.execute(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.execute(
                            "INSERT INTO stoplink_migrations (identifier, applied_at) VALUES (\(step.identifier), now())",
                            logger: logger
                        )
                        try await connection.execute("COMMIT", logger: logger)
                    } catch {
                        _ = try? await connection.execute("ROLLBACK", logger: logger)
                        throw error
                    }
                    done.append(step.identifier)
                }
                try await connection.execute("SELECT pg_advisory_unlock(\(advisoryLock))", logger: logger)
                return done
            } catch {
                _ = try? await connection.execute("SELECT pg_advisory_unlock(\(advisoryLock))", logger: logger)
                throw error
            }
        }
    }

    /// Throws unless every step this build knows has been applied and none it does not know.
    static func checkCurrent(_ client: PostgresClient, logger: Logger) async throws {
        let applied = try await client.withConnection { connection in
            try await appliedSteps(connection, logger: logger)
        }
        try refuseNewer(applied)
        let missing = steps.map(\.identifier).filter { !applied.contains($0) }
        guard missing.isEmpty else { throw StoreError.schemaIsBehind(missingMigrations: missing) }
    }

    /// A step's statements: each ends with `;` at the end of a line.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            current += line + "\n"
            if line.hasSuffix(";") {
                statements.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
        return statements
    }

    static func refuseNewer(_ applied: Set<String>) throws {
        let unknown = applied.subtracting(steps.map(\.identifier))
        guard unknown.isEmpty else { throw StoreError.schemaIsNewer(unknownMigrations: unknown.sorted()) }
    }

    static func appliedSteps(_ connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        try await connection.execute(
            "CREATE TABLE IF NOT EXISTS stoplink_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
            logger: logger
        )
        return Set(try await connection.all("SELECT identifier FROM stoplink_migrations", logger: logger) { row in
            try row.value("identifier", as: String.self)
        })
    }

    static let schema = """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        CREATE TABLE companies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            default_country TEXT NOT NULL,
            default_language TEXT NOT NULL,
            opt_out_scope TEXT NOT NULL DEFAULT 'marketing' CHECK (opt_out_scope IN ('marketing', 'all')),
            reasons TEXT,
            page_text TEXT NOT NULL DEFAULT '{}',
            help_text TEXT NOT NULL DEFAULT '{}',
            confirmation_text TEXT NOT NULL DEFAULT '{}',
            inbound_policy TEXT NOT NULL DEFAULT 'review' CHECK (inbound_policy IN ('apply', 'review')),
            twilio_auth_token TEXT,
            inbound_secret TEXT,
            keywords TEXT NOT NULL DEFAULT '{}',
            message_rules TEXT NOT NULL DEFAULT '{}',
            retain_visits_days INTEGER NOT NULL DEFAULT 90 CHECK (retain_visits_days BETWEEN 1 AND 3650),
            retain_reasons_days INTEGER NOT NULL DEFAULT 365 CHECK (retain_reasons_days BETWEEN 1 AND 3650),
            retain_inbound_days INTEGER NOT NULL DEFAULT 90 CHECK (retain_inbound_days BETWEEN 1 AND 3650),
            -- The company's newest feed number, raised under this row's lock by each event.
            feed_head BIGINT NOT NULL DEFAULT 0 CHECK (feed_head >= 0),
            created_at BIGINT NOT NULL
        );

        CREATE TABLE campaigns (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            ref TEXT NOT NULL,
            name TEXT NOT NULL,
            purpose TEXT NOT NULL CHECK (purpose IN ('marketing', 'informational', 'transactional')),
            created_at BIGINT NOT NULL,
            UNIQUE (company_id, ref)
        );

        CREATE TABLE links (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            company_id TEXT NOT NULL REFERENCES companies(id),
            campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
            phone TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            UNIQUE (campaign_id, phone)
        );

        CREATE TABLE consent_events (
            seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            company_seq BIGINT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('opt_out', 'opt_in')),
            phone TEXT NOT NULL,
            scope TEXT NOT NULL CHECK (scope IN ('marketing', 'all')),
            source TEXT NOT NULL CHECK (source IN ('link', 'keyword', 'api', 'import', 'dashboard')),
            campaign_id BIGINT REFERENCES campaigns(id),
            reason TEXT,
            reason_text TEXT,
            evidence TEXT,
            raw_text TEXT,
            occurred_at BIGINT NOT NULL,
            user_id TEXT,
            user_email TEXT,
            UNIQUE (company_id, company_seq),
            CHECK ((user_id IS NULL) = (user_email IS NULL) AND (source != 'dashboard' OR user_email IS NOT NULL))
        );
        CREATE INDEX consent_events_by_number ON consent_events (company_id, phone, seq);
        CREATE INDEX consent_events_by_campaign ON consent_events (campaign_id, action);
        CREATE INDEX consent_events_with_reason_text ON consent_events (company_id, occurred_at) WHERE reason_text IS NOT NULL;
        CREATE INDEX consent_events_with_raw_text ON consent_events (company_id, occurred_at) WHERE raw_text IS NOT NULL;

        CREATE TABLE suppressions (
            company_id TEXT NOT NULL REFERENCES companies(id),
            phone TEXT NOT NULL,
            scope TEXT NOT NULL CHECK (scope IN ('marketing', 'all')),
            since BIGINT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('link', 'keyword', 'api', 'import', 'dashboard')),
            campaign_id BIGINT REFERENCES campaigns(id),
            last_seq BIGINT NOT NULL,
            PRIMARY KEY (company_id, phone)
        );
        CREATE INDEX suppressions_by_time ON suppressions (company_id, since DESC, phone);

        CREATE TABLE failed_attempts (
            link_id BIGINT NOT NULL REFERENCES links(id),
            at BIGINT NOT NULL
        );
        CREATE INDEX failed_attempts_by_link ON failed_attempts (link_id, at);

        CREATE TABLE visits (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            link_id BIGINT NOT NULL REFERENCES links(id),
            kind TEXT NOT NULL CHECK (kind IN ('human', 'bot')),
            visitor TEXT NOT NULL,
            at BIGINT NOT NULL
        );
        CREATE INDEX visits_by_link ON visits (link_id, kind, visitor);
        CREATE INDEX visits_by_time ON visits (at);

        CREATE TABLE purged_visits_by_link (
            link_id BIGINT PRIMARY KEY REFERENCES links(id),
            human BIGINT NOT NULL CHECK (human >= 0),
            bot BIGINT NOT NULL CHECK (bot >= 0),
            unique_humans BIGINT NOT NULL CHECK (unique_humans >= 0)
        );
        CREATE TABLE purged_visits_by_campaign (
            campaign_id BIGINT PRIMARY KEY REFERENCES campaigns(id),
            unique_humans BIGINT NOT NULL CHECK (unique_humans >= 0)
        );

        CREATE TABLE api_keys (
            prefix TEXT PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            hash TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            created_at BIGINT NOT NULL,
            last_used_at BIGINT,
            revoked_at BIGINT
        );
        CREATE INDEX api_keys_by_company ON api_keys (company_id);

        CREATE TABLE webhook_endpoints (
            id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            url TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            event_types TEXT NOT NULL DEFAULT '[]'
                CHECK (jsonb_typeof(event_types::jsonb) = 'array'
                       AND event_types::jsonb <@ '["optout.created", "optout.revoked"]'::jsonb),
            enabled BOOLEAN NOT NULL DEFAULT TRUE,
            disabled_reason TEXT,
            secret TEXT NOT NULL,
            previous_secret TEXT,
            previous_secret_until BIGINT,
            created_at BIGINT NOT NULL
        );
        CREATE INDEX webhook_endpoints_by_company ON webhook_endpoints (company_id);

        CREATE TABLE webhook_deliveries (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            number BIGINT NOT NULL,
            seq BIGINT NOT NULL REFERENCES consent_events(seq),
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT,
            claimed_until BIGINT,
            last_status_code INTEGER,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            completed_at BIGINT,
            UNIQUE (endpoint_id, number)
        );
        CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, status, id);
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

        CREATE TABLE webhook_test_deliveries (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            message_id TEXT NOT NULL,
            succeeded BOOLEAN NOT NULL,
            status_code INTEGER,
            error TEXT,
            sent_at BIGINT NOT NULL
        );
        CREATE INDEX webhook_test_deliveries_by_endpoint ON webhook_test_deliveries (endpoint_id, id);

        CREATE TABLE sms_numbers (
            number TEXT PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            created_at BIGINT NOT NULL
        );
        CREATE INDEX sms_numbers_by_company ON sms_numbers (company_id);

        CREATE TABLE inbound_messages (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            gateway TEXT NOT NULL CHECK (gateway IN ('twilio', 'generic')),
            message_id TEXT NOT NULL,
            phone TEXT NOT NULL,
            to_number TEXT NOT NULL,
            text TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('opt_out', 'opt_in', 'help', 'review', 'ignored')),
            scope TEXT NOT NULL CHECK (scope IN ('marketing', 'all')),
            reply TEXT,
            status TEXT NOT NULL CHECK (status IN ('done', 'review', 'applied', 'dismissed')),
            review_deadline BIGINT,
            resolved_at BIGINT,
            fingerprint TEXT,
            UNIQUE (company_id, gateway, message_id)
        );
        CREATE INDEX inbound_messages_review ON inbound_messages (company_id, status, received_at);
        CREATE INDEX inbound_messages_with_text ON inbound_messages (company_id, received_at) WHERE text != '';

        CREATE TABLE idempotency_keys (
            company_id TEXT NOT NULL REFERENCES companies(id),
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            reserved_at BIGINT NOT NULL,
            status INTEGER,
            content_type TEXT,
            body BYTEA,
            answered_at BIGINT,
            PRIMARY KEY (company_id, key),
            CHECK ((status IS NULL) = (body IS NULL) AND (status IS NULL) = (content_type IS NULL)
                   AND (status IS NULL) = (answered_at IS NULL))
        );
        CREATE INDEX idempotency_keys_by_answer_time ON idempotency_keys (answered_at);

        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            email TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('owner', 'marketer')),
            password_hash TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            password_changed_at BIGINT NOT NULL
        );
        CREATE UNIQUE INDEX users_by_email ON users (lower(email));
        CREATE INDEX users_by_company ON users (company_id, created_at);

        CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at BIGINT NOT NULL,
            last_seen_at BIGINT NOT NULL
        );
        CREATE INDEX sessions_by_user ON sessions (user_id);

        CREATE TABLE login_failures (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            email TEXT NOT NULL,
            address TEXT NOT NULL,
            at BIGINT NOT NULL
        );
        CREATE INDEX login_failures_by_email ON login_failures (lower(email), at);
        CREATE INDEX login_failures_by_address ON login_failures (address, at);

        CREATE TABLE audit_log (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            user_id TEXT,
            user_email TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            at BIGINT NOT NULL
        );
        CREATE INDEX audit_log_by_company ON audit_log (company_id, id);

        CREATE TABLE email_recipients (
            company_id TEXT NOT NULL REFERENCES companies(id),
            address TEXT NOT NULL,
            forward BOOLEAN NOT NULL,
            digest BOOLEAN NOT NULL,
            created_at BIGINT NOT NULL,
            CHECK (forward OR digest)
        );
        CREATE UNIQUE INDEX email_recipients_by_address ON email_recipients (company_id, lower(address));

        CREATE TABLE emails (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            company_id TEXT NOT NULL REFERENCES companies(id),
            address TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('forward', 'digest')),
            seq BIGINT REFERENCES consent_events(seq),
            digest_day TEXT,
            subject TEXT,
            body TEXT,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            next_attempt_at BIGINT,
            claimed_until BIGINT,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            completed_at BIGINT,
            CHECK ((kind = 'forward' AND seq IS NOT NULL) OR (kind = 'digest' AND subject IS NOT NULL AND body IS NOT NULL))
        );
        CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'pending';
        CREATE INDEX emails_by_company ON emails (company_id, id);
        CREATE INDEX emails_failed ON emails (company_id, completed_at) WHERE status = 'failed';
        CREATE UNIQUE INDEX emails_one_digest_a_day ON emails (company_id, lower(address), digest_day) WHERE digest_day IS NOT NULL;
        """
}
