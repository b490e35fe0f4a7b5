import GRDB

/// The SQLite schema, one numbered migration at a time. Migrations are append-only: a shipped
/// one is never edited; a change is a new migration. Times are Unix milliseconds.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-recipient-flow") { db in
            try db.execute(sql: """
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                CREATE TABLE companies (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    default_country TEXT NOT NULL,
                    default_language TEXT NOT NULL,
                    opt_out_scope TEXT NOT NULL DEFAULT 'marketing',
                    reasons TEXT,
                    page_text TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE campaigns (
                    id INTEGER PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    ref TEXT NOT NULL,
                    name TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (company_id, ref)
                );
                CREATE TABLE links (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL UNIQUE,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                    phone TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (campaign_id, phone)
                );
                CREATE TABLE consent_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    action TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    source TEXT NOT NULL,
                    campaign_id INTEGER REFERENCES campaigns(id),
                    reason TEXT,
                    reason_text TEXT,
                    evidence TEXT,
                    raw_text TEXT,
                    occurred_at INTEGER NOT NULL
                );
                CREATE INDEX consent_events_by_number ON consent_events (company_id, phone, seq);
                CREATE INDEX consent_events_by_company ON consent_events (company_id, seq);
                CREATE TABLE suppressions (
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    phone TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    since INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    campaign_id INTEGER REFERENCES campaigns(id),
                    last_seq INTEGER NOT NULL,
                    PRIMARY KEY (company_id, phone)
                ) WITHOUT ROWID;
                CREATE TABLE failed_attempts (
                    link_id INTEGER NOT NULL REFERENCES links(id),
                    at INTEGER NOT NULL
                );
                CREATE INDEX failed_attempts_by_link ON failed_attempts (link_id, at);
                CREATE TABLE visits (
                    id INTEGER PRIMARY KEY,
                    link_id INTEGER NOT NULL REFERENCES links(id),
                    kind TEXT NOT NULL,
                    visitor TEXT NOT NULL,
                    at INTEGER NOT NULL
                );
                CREATE INDEX visits_by_link ON visits (link_id, kind, visitor);
                """)
        }
        migrator.registerMigration("002-platform-api") { db in
            try db.execute(sql: """
                ALTER TABLE companies ADD COLUMN help_text TEXT NOT NULL DEFAULT '{}';
                ALTER TABLE companies ADD COLUMN confirmation_text TEXT NOT NULL DEFAULT '{}';
                ALTER TABLE companies ADD COLUMN inbound_policy TEXT NOT NULL DEFAULT 'review';
                ALTER TABLE companies ADD COLUMN twilio_auth_token TEXT;
                CREATE TABLE api_keys (
                    prefix TEXT PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    hash TEXT NOT NULL,
                    name TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    last_used_at INTEGER,
                    revoked_at INTEGER
                );
                CREATE INDEX api_keys_by_company ON api_keys (company_id);
                CREATE TABLE idempotent_answers (
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    content_type TEXT NOT NULL,
                    body BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (company_id, key)
                );
                CREATE INDEX consent_events_by_campaign ON consent_events (campaign_id, action);
                """)
        }
        migrator.registerMigration("003-webhooks") { db in
            try db.execute(sql: """
                CREATE TABLE webhook_endpoints (
                    id TEXT PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    url TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    event_types TEXT NOT NULL DEFAULT '[]',
                    enabled INTEGER NOT NULL DEFAULT 1,
                    disabled_reason TEXT,
                    secret TEXT NOT NULL,
                    previous_secret TEXT,
                    previous_secret_until INTEGER,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX webhook_endpoints_by_company ON webhook_endpoints (company_id);
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY,
                    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL REFERENCES consent_events(seq),
                    status TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER,
                    last_status_code INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    completed_at INTEGER
                );
                CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, status, id);
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
                """)
        }
        migrator.registerMigration("004-inbound") { db in
            try db.execute(sql: """
                ALTER TABLE companies ADD COLUMN inbound_secret TEXT;
                ALTER TABLE companies ADD COLUMN keywords TEXT NOT NULL DEFAULT '{}';
                CREATE TABLE sms_numbers (
                    number TEXT PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX sms_numbers_by_company ON sms_numbers (company_id);
                CREATE TABLE inbound_messages (
                    id INTEGER PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    gateway TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    to_number TEXT NOT NULL,
                    text TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    action TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    reply TEXT,
                    status TEXT NOT NULL,
                    review_deadline INTEGER,
                    resolved_at INTEGER,
                    UNIQUE (company_id, gateway, message_id)
                );
                CREATE INDEX inbound_messages_review ON inbound_messages (company_id, status, received_at);
                """)
        }
        migrator.registerMigration("005-message-rules") { db in
            try db.execute(sql: "ALTER TABLE companies ADD COLUMN message_rules TEXT NOT NULL DEFAULT '{}'")
        }
        migrator.registerMigration("006-delivery-claims") { db in
            // Set while a dispatcher holds a delivery, so that two never send it at once.
            try db.execute(sql: "ALTER TABLE webhook_deliveries ADD COLUMN claimed_until INTEGER")
        }
        migrator.registerMigration("007-known-values") { db in
            // SQLite cannot add a CHECK to an existing column; triggers refuse the same rows
            // without copying the ledger into rebuilt tables.
            for (table, column, allowed) in [
                ("companies", "opt_out_scope", "'marketing', 'all'"),
                ("companies", "inbound_policy", "'apply', 'review'"),
                ("campaigns", "purpose", "'marketing', 'informational', 'transactional'"),
                ("consent_events", "action", "'opt_out', 'opt_in'"),
                ("consent_events", "scope", "'marketing', 'all'"),
                ("consent_events", "source", "'link', 'keyword', 'api', 'import', 'dashboard'"),
                ("suppressions", "scope", "'marketing', 'all'"),
                ("suppressions", "source", "'link', 'keyword', 'api', 'import', 'dashboard'"),
                ("visits", "kind", "'human', 'bot'"),
                ("webhook_deliveries", "status", "'pending', 'succeeded', 'failed'"),
                ("inbound_messages", "gateway", "'twilio', 'generic'"),
                ("inbound_messages", "action", "'opt_out', 'opt_in', 'help', 'review', 'ignored'"),
                ("inbound_messages", "scope", "'marketing', 'all'"),
                ("inbound_messages", "status", "'done', 'review', 'applied', 'dismissed'"),
            ] {
                try Self.refuse(table: table, column: column, unless: "NEW.\(column) IN (\(allowed))", in: db)
            }
            try Self.refuse(
                table: "webhook_endpoints", column: "event_types",
                unless: """
                    json_valid(NEW.event_types) AND json_type(NEW.event_types) = 'array'
                    AND NOT EXISTS (SELECT 1 FROM json_each(NEW.event_types)
                                    WHERE value NOT IN ('optout.created', 'optout.revoked') OR type != 'text')
                    """,
                in: db
            )
        }
        migrator.registerMigration("008-idempotency-reservations") { db in
            // A key is reserved before its request runs (no answer yet), so the answer columns
            // become nullable: SQLite cannot relax NOT NULL, hence a new table.
            try db.execute(sql: """
                CREATE TABLE idempotency_keys (
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    reserved_at INTEGER NOT NULL,
                    status INTEGER,
                    content_type TEXT,
                    body BLOB,
                    answered_at INTEGER,
                    PRIMARY KEY (company_id, key),
                    CHECK ((status IS NULL) = (body IS NULL) AND (status IS NULL) = (content_type IS NULL)
                           AND (status IS NULL) = (answered_at IS NULL))
                );
                INSERT INTO idempotency_keys (company_id, key, request_hash, reserved_at, status, content_type, body, answered_at)
                    SELECT company_id, key, request_hash, created_at, status, content_type, body, created_at FROM idempotent_answers;
                DROP TABLE idempotent_answers;
                """)
        }
        migrator.registerMigration("009-idempotency-expiry-and-secrets") { db in
            // Answers expire after a day: the sweep finds old ones by this index. Answers kept
            // before now may hold a new API key or a whsec_ secret in the clear: they become the
            // marker that is stored from now on.
            try db.execute(sql: """
                CREATE INDEX idempotency_keys_by_answer_time ON idempotency_keys (answered_at);
                UPDATE idempotency_keys
                SET status = 409, content_type = 'application/json; charset=utf-8',
                    body = CAST('{"error":{"code":"already_created","details":[],"message":"already created; the secret was shown once"}}' AS BLOB)
                WHERE status IS NOT NULL
                  AND (CAST(body AS TEXT) LIKE '%"key":"sk\\_%' ESCAPE '\\' OR CAST(body AS TEXT) LIKE '%"secret":"whsec\\_%' ESCAPE '\\');
                """)
        }
        migrator.registerMigration("010-inbound-fingerprints") { db in
            // Tells a gateway's retry from another message that reuses its id (InboundFingerprint).
            try db.execute(sql: "ALTER TABLE inbound_messages ADD COLUMN fingerprint TEXT")
        }
        migrator.registerMigration("011-retention") { db in
            // Retention periods per company (RetentionPeriods.standard and allowedDays); visit
            // counts of purged visits, so a campaign's numbers stay what they were; indexes that
            // find what a purge removes without reading the whole ledger. The demo API key was
            // kept in the clear to be printed at every start: only its hash stays (api_keys).
            try db.execute(sql: """
                ALTER TABLE companies ADD COLUMN retain_visits_days INTEGER NOT NULL DEFAULT 90
                    CHECK (retain_visits_days BETWEEN 1 AND 3650);
                ALTER TABLE companies ADD COLUMN retain_reasons_days INTEGER NOT NULL DEFAULT 365
                    CHECK (retain_reasons_days BETWEEN 1 AND 3650);
                ALTER TABLE companies ADD COLUMN retain_inbound_days INTEGER NOT NULL DEFAULT 90
                    CHECK (retain_inbound_days BETWEEN 1 AND 3650);
                CREATE TABLE purged_visits_by_link (
                    link_id INTEGER PRIMARY KEY REFERENCES links(id),
                    human INTEGER NOT NULL CHECK (human >= 0),
                    bot INTEGER NOT NULL CHECK (bot >= 0),
                    unique_humans INTEGER NOT NULL CHECK (unique_humans >= 0)
                );
                CREATE TABLE purged_visits_by_campaign (
                    campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
                    unique_humans INTEGER NOT NULL CHECK (unique_humans >= 0)
                );
                CREATE INDEX visits_by_time ON visits (at);
                CREATE INDEX consent_events_with_reason_text ON consent_events (company_id, occurred_at)
                    WHERE reason_text IS NOT NULL;
                CREATE INDEX consent_events_with_raw_text ON consent_events (company_id, occurred_at)
                    WHERE raw_text IS NOT NULL;
                CREATE INDEX inbound_messages_with_text ON inbound_messages (company_id, received_at)
                    WHERE text != '';
                DELETE FROM settings WHERE key = 'demo_api_key';
                """)
        }
        migrator.registerMigration("012-company-sequence") { db in
            // Each company numbers its own events 1, 2, 3, ...: the shared `seq` told every
            // company how many events the others had. `seq` stays as the row's internal id.
            try db.execute(sql: """
                ALTER TABLE consent_events ADD COLUMN company_seq INTEGER;
                UPDATE consent_events SET company_seq = numbered.n
                FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY seq) AS n FROM consent_events) AS numbered
                WHERE consent_events.seq = numbered.seq;
                CREATE UNIQUE INDEX consent_events_by_company_seq ON consent_events (company_id, company_seq);
                DROP INDEX consent_events_by_company;
                """)
            try refuse(table: "consent_events", column: "company_seq", unless: "NEW.company_seq IS NOT NULL", in: db)
            // Deliveries likewise: each endpoint numbers its own (the shared id counted all).
            try db.execute(sql: """
                ALTER TABLE webhook_deliveries ADD COLUMN number INTEGER;
                UPDATE webhook_deliveries SET number = numbered.n
                FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY id) AS n FROM webhook_deliveries) AS numbered
                WHERE webhook_deliveries.id = numbered.id;
                CREATE UNIQUE INDEX webhook_deliveries_by_number ON webhook_deliveries (endpoint_id, number);
                """)
            try refuse(table: "webhook_deliveries", column: "number", unless: "NEW.number IS NOT NULL", in: db)
        }
        migrator.registerMigration("013-dashboard-users") { db in
            // Emails are kept normalised (lowercase); NOCASE makes the uniqueness hold even for
            // a row written outside Stoplink.
            try db.execute(sql: """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('owner', 'marketer')),
                    password_hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    password_changed_at INTEGER NOT NULL
                );
                CREATE INDEX users_by_company ON users (company_id, created_at);
                -- Only a SHA-256 of each session id is kept, so a copy of the database logs no one in.
                CREATE TABLE sessions (
                    id_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL,
                    last_seen_at INTEGER NOT NULL
                );
                CREATE INDEX sessions_by_user ON sessions (user_id);
                CREATE TABLE login_failures (
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL COLLATE NOCASE,
                    address TEXT NOT NULL,
                    at INTEGER NOT NULL
                );
                CREATE INDEX login_failures_by_email ON login_failures (email, at);
                CREATE INDEX login_failures_by_address ON login_failures (address, at);
                -- Who did what on the dashboard; the email is copied so a removed user's rows still say who.
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    user_id TEXT,
                    user_email TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL DEFAULT '',
                    at INTEGER NOT NULL
                );
                CREATE INDEX audit_log_by_company ON audit_log (company_id, id);
                """)
        }
        migrator.registerMigration("014-email") { db in
            // The company's people who get email, and the emails queued to them. Forward emails
            // point at their opt-out's ledger row and are written in its transaction; a digest
            // keeps its text, and `digest_day` lets each recipient have one per day.
            try db.execute(sql: """
                CREATE TABLE email_recipients (
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    address TEXT NOT NULL COLLATE NOCASE,
                    forward INTEGER NOT NULL CHECK (forward IN (0, 1)),
                    digest INTEGER NOT NULL CHECK (digest IN (0, 1)),
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (company_id, address),
                    CHECK (forward = 1 OR digest = 1)
                );
                CREATE TABLE emails (
                    id INTEGER PRIMARY KEY,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    address TEXT NOT NULL COLLATE NOCASE,
                    kind TEXT NOT NULL CHECK (kind IN ('forward', 'digest')),
                    seq INTEGER REFERENCES consent_events(seq),
                    digest_day TEXT,
                    subject TEXT,
                    body TEXT,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    next_attempt_at INTEGER,
                    claimed_until INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    completed_at INTEGER,
                    CHECK ((kind = 'forward' AND seq IS NOT NULL) OR (kind = 'digest' AND subject IS NOT NULL AND body IS NOT NULL))
                );
                CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'pending';
                CREATE INDEX emails_by_company ON emails (company_id, id);
                CREATE INDEX emails_failed ON emails (company_id, completed_at) WHERE status = 'failed';
                CREATE UNIQUE INDEX emails_one_digest_a_day ON emails (company_id, address, digest_day)
                    WHERE digest_day IS NOT NULL;
                """)
        }
        migrator.registerMigration("015-webhook-test-deliveries") { db in
            // Test events (`webhook.test`) have no ledger row, so they are logged apart from the
            // deliveries of consent events; each endpoint keeps only its latest few.
            try db.execute(sql: """
                CREATE TABLE webhook_test_deliveries (
                    id INTEGER PRIMARY KEY,
                    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
                    message_id TEXT NOT NULL,
                    succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
                    status_code INTEGER,
                    error TEXT,
                    sent_at INTEGER NOT NULL
                );
                CREATE INDEX webhook_test_deliveries_by_endpoint ON webhook_test_deliveries (endpoint_id, id);
                """)
        }
        migrator.registerMigration("016-ledger-actors") { db in
            // Who acted, on ledger rows a dashboard user made (the email copied, as in the audit
            // log, so a removed user's rows still say who); a dashboard change always names one.
            // The suppression list is shown newest first, filtered by company.
            try db.execute(sql: """
                ALTER TABLE consent_events ADD COLUMN user_id TEXT;
                ALTER TABLE consent_events ADD COLUMN user_email TEXT;
                CREATE INDEX suppressions_by_time ON suppressions (company_id, since DESC, phone);
                """)
            try refuse(
                table: "consent_events", column: "user_email",
                unless: "(NEW.user_id IS NULL) = (NEW.user_email IS NULL) AND (NEW.source != 'dashboard' OR NEW.user_email IS NOT NULL)",
                in: db
            )
        }
        migrator.registerMigration("017-checks-instead-of-triggers") { db in
            // The tables every opt-out writes check their values with CHECK constraints, not
            // 007's triggers: a BEFORE INSERT trigger made SQLite write about four times as many
            // WAL pages (1,000,000 imported opt-outs: 9.4 million writes instead of 2.0) and cost
            // a fifth of each insert. SQLite adds a CHECK only to a new table, so these four
            // tables are copied once into new ones (foreign keys are checked after the copy).
            // consent_events keeps its AUTOINCREMENT counter, so no seq is ever given twice.
            let counter = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'consent_events'") ?? 0
            try db.execute(sql: """
                CREATE TABLE consent_events_new (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    action TEXT NOT NULL CHECK (action IN ('opt_out', 'opt_in')),
                    phone TEXT NOT NULL,
                    scope TEXT NOT NULL CHECK (scope IN ('marketing', 'all')),
                    source TEXT NOT NULL CHECK (source IN ('link', 'keyword', 'api', 'import', 'dashboard')),
                    campaign_id INTEGER REFERENCES campaigns(id),
                    reason TEXT,
                    reason_text TEXT,
                    evidence TEXT,
                    raw_text TEXT,
                    occurred_at INTEGER NOT NULL,
                    company_seq INTEGER NOT NULL,
                    user_id TEXT,
                    user_email TEXT,
                    CHECK ((user_id IS NULL) = (user_email IS NULL) AND (source != 'dashboard' OR user_email IS NOT NULL))
                );
                INSERT INTO consent_events_new
                    SELECT seq, company_id, action, phone, scope, source, campaign_id, reason, reason_text, evidence, raw_text,
                           occurred_at, company_seq, user_id, user_email
                    FROM consent_events;
                DROP TABLE consent_events;
                ALTER TABLE consent_events_new RENAME TO consent_events;
                CREATE INDEX consent_events_by_number ON consent_events (company_id, phone, seq);
                CREATE INDEX consent_events_by_campaign ON consent_events (campaign_id, action);
                CREATE INDEX consent_events_with_reason_text ON consent_events (company_id, occurred_at) WHERE reason_text IS NOT NULL;
                CREATE INDEX consent_events_with_raw_text ON consent_events (company_id, occurred_at) WHERE raw_text IS NOT NULL;
                CREATE UNIQUE INDEX consent_events_by_company_seq ON consent_events (company_id, company_seq);
                """)
            try db.execute(
                sql: """
                    DELETE FROM sqlite_sequence WHERE name = 'consent_events';
                    INSERT INTO sqlite_sequence (name, seq) VALUES ('consent_events', MAX(?, (SELECT COALESCE(MAX(seq), 0) FROM consent_events)));
                    """,
                arguments: [counter]
            )
            try db.execute(sql: """
                CREATE TABLE suppressions_new (
                    company_id TEXT NOT NULL REFERENCES companies(id),
                    phone TEXT NOT NULL,
                    scope TEXT NOT NULL CHECK (scope IN ('marketing', 'all')),
                    since INTEGER NOT NULL,
                    source TEXT NOT NULL CHECK (source IN ('link', 'keyword', 'api', 'import', 'dashboard')),
                    campaign_id INTEGER REFERENCES campaigns(id),
                    last_seq INTEGER NOT NULL,
                    PRIMARY KEY (company_id, phone)
                ) WITHOUT ROWID;
                INSERT INTO suppressions_new
                    SELECT company_id, phone, scope, since, source, campaign_id, last_seq FROM suppressions;
                DROP TABLE suppressions;
                ALTER TABLE suppressions_new RENAME TO suppressions;
                CREATE INDEX suppressions_by_time ON suppressions (company_id, since DESC, phone);

                CREATE TABLE webhook_deliveries_new (
                    id INTEGER PRIMARY KEY,
                    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL REFERENCES consent_events(seq),
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER,
                    last_status_code INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    completed_at INTEGER,
                    claimed_until INTEGER,
                    number INTEGER NOT NULL
                );
                INSERT INTO webhook_deliveries_new
                    SELECT id, endpoint_id, seq, status, attempts, next_attempt_at, last_status_code, last_error, created_at,
                           completed_at, claimed_until, number
                    FROM webhook_deliveries;
                DROP TABLE webhook_deliveries;
                ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
                CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, status, id);
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
                CREATE UNIQUE INDEX webhook_deliveries_by_number ON webhook_deliveries (endpoint_id, number);

                CREATE TABLE visits_new (
                    id INTEGER PRIMARY KEY,
                    link_id INTEGER NOT NULL REFERENCES links(id),
                    kind TEXT NOT NULL CHECK (kind IN ('human', 'bot')),
                    visitor TEXT NOT NULL,
                    at INTEGER NOT NULL
                );
                INSERT INTO visits_new SELECT id, link_id, kind, visitor, at FROM visits;
                DROP TABLE visits;
                ALTER TABLE visits_new RENAME TO visits;
                CREATE INDEX visits_by_link ON visits (link_id, kind, visitor);
                CREATE INDEX visits_by_time ON visits (at);
                """)
        }
        return migrator
    }

    /// Two triggers that abort an insert or update of `table.column` unless `condition` holds.
    private static func refuse(table: String, column: String, unless condition: String, in db: Database) throws {
        for event in ["INSERT", "UPDATE OF \(column)"] {
            let name = "\(table)_\(column)_known_\(event.hasPrefix("INSERT") ? "on_insert" : "on_update")"
            try db.execute(sql: """
                CREATE TRIGGER \(name) BEFORE \(event) ON \(table)
                WHEN NOT (\(condition))
                BEGIN SELECT RAISE(ABORT, 'unknown value in \(table).\(column)'); END
                """)
        }
    }
}
