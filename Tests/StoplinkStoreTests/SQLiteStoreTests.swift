import Foundation
import GRDB
import StoplinkCore
import Testing
@testable import StoplinkStore

/// What only SQLite has: the file, its migrations and its schema guards. Everything a caller
/// relies on is in the contract suite.
@Suite("SQLite store (file, migrations, schema guards)")
struct SQLiteStoreTests {
    /// Runs `body` with a fresh folder for one database file, removed afterwards.
    func withDirectory<Result>(_ body: (TemporaryDirectory) async throws -> Result) async throws -> Result {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        return try await body(directory)
    }

    static func schema(of store: SQLiteStore) async throws -> [String] {
        try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        }
    }

    @Test("a new file is migrated on open and answers a ping")
    func freshFile() async throws {
        try await withDirectory { directory in
            let store = try SQLiteStore.open(path: directory.databasePath)

            #expect(FileManager.default.fileExists(atPath: directory.databasePath))
            #expect(try await store.isMigrated())
            try await store.ping()
            #expect(try await store.companyCount() == 0)
        }
    }

    @Test("an opt-out survives closing and reopening the file")
    func reopenKeepsOptOut() async throws {
        try await withDirectory { directory in
            let number = try Sample.phone("+31612345678")
            let companyID: String
            do {
                let store = try SQLiteStore.open(path: directory.databasePath)
                let (company, campaign) = try await store.acmeWithCampaign()
                _ = try await store.recordOptOut(Sample.optOut(company, number, campaign: campaign))
                _ = try await store.setting("signing-secret", orInsert: { "kept" })
                companyID = company.id
            }

            let reopened = try SQLiteStore.open(path: directory.databasePath)

            let suppression = try await reopened.suppression(companyID: companyID, phone: number)
            #expect(suppression?.scope == .marketing)
            #expect(suppression?.campaignRef == "spring-sale")
            #expect(try await reopened.history(companyID: companyID, phone: number).count == 1)
            #expect(try await reopened.setting("signing-secret", orInsert: { "new" }) == "kept")
        }
    }

    @Test("opening a migrated file again runs no migration twice and keeps the data")
    func migrationIsIdempotent() async throws {
        try await withDirectory { directory in
            let schemaBefore: [String]
            do {
                let store = try SQLiteStore.open(path: directory.databasePath)
                _ = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: "nl", at: Sample.now)
                schemaBefore = try await Self.schema(of: store)
            }

            let reopened = try SQLiteStore.open(path: directory.databasePath)
            let again = try SQLiteStore.open(path: directory.databasePath)

            #expect(try await reopened.isMigrated())
            #expect(try await again.companyCount() == 1)
            #expect(try await Self.schema(of: again) == schemaBefore)
            let applied = try await reopened.writer.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            #expect(applied.sorted() == SQLiteMigrations.migrator.migrations.sorted())
            #expect(applied.contains("001-recipient-flow"))
        }
    }

    @Test("a file migrated by a newer build is refused with a message that says so")
    func newerSchemaIsRefused() async throws {
        try await withDirectory { directory in
            var newer = SQLiteMigrations.migrator
            newer.registerMigration("999-from-the-future") { db in try db.execute(sql: "CREATE TABLE future (id INTEGER)") }
            try newer.migrate(DatabaseQueue(path: directory.databasePath))

            let error = #expect(throws: StoreError.self) { try SQLiteStore.open(path: directory.databasePath) }

            #expect(error == .schemaIsNewer(unknownMigrations: ["999-from-the-future"]))
            #expect(error?.description.contains("newer than this stoplink") == true)
        }
    }

    @Test("the database refuses unknown enum values and malformed event types", arguments: [
        "UPDATE companies SET opt_out_scope = 'some'",
        "UPDATE companies SET inbound_policy = 'maybe'",
        "UPDATE campaigns SET purpose = 'spam'",
        "UPDATE consent_events SET action = 'opt_sideways'",
        "UPDATE consent_events SET scope = 'most'",
        "UPDATE consent_events SET source = 'rumour'",
        "UPDATE suppressions SET scope = 'most'",
        "UPDATE suppressions SET source = 'rumour'",
        "UPDATE visits SET kind = 'ghost'",
        "UPDATE webhook_deliveries SET status = 'lost'",
        "UPDATE webhook_endpoints SET event_types = 'not json'",
        "UPDATE webhook_endpoints SET event_types = '{\"a\": 1}'",
        "UPDATE webhook_endpoints SET event_types = '[\"optout.exploded\"]'",
        "UPDATE inbound_messages SET gateway = 'pigeon'",
        "UPDATE inbound_messages SET action = 'shrug'",
        "UPDATE inbound_messages SET scope = 'most'",
        "UPDATE inbound_messages SET status = 'lost'",
        "UPDATE consent_events SET user_email = 'ann@acme.example'",
        """
        INSERT INTO consent_events (company_id, action, phone, scope, source, occurred_at, company_seq)
        SELECT company_id, 'opt_out', phone, scope, 'dashboard', occurred_at, 999 FROM consent_events LIMIT 1
        """,
    ])
    func badValuesAreRefused(update: String) async throws {
        try await withDirectory { directory in
            let store = try SQLiteStore.open(path: directory.databasePath)
            try await Self.oneOfEverything(in: store)

            await #expect(throws: DatabaseError.self) {
                try await store.writer.write { db in try db.execute(sql: update) }
            }
        }
    }

    @Test("every enum column still takes its known values")
    func knownValuesPass() async throws {
        try await withDirectory { directory in
            let store = try SQLiteStore.open(path: directory.databasePath)
            try await Self.oneOfEverything(in: store)

            try await store.writer.write { db in
                try db.execute(sql: """
                    UPDATE companies SET opt_out_scope = 'all', inbound_policy = 'apply';
                    UPDATE campaigns SET purpose = 'transactional';
                    UPDATE consent_events SET source = 'dashboard', user_id = 'u_1', user_email = 'ann@acme.example';
                    UPDATE webhook_endpoints SET event_types = '["optout.created", "optout.revoked"]';
                    UPDATE webhook_deliveries SET status = 'succeeded';
                    UPDATE inbound_messages SET gateway = 'generic', status = 'dismissed', action = 'ignored';
                    """)
            }

            #expect(try await store.companyCount() == 1)
        }
    }

    @Test("a row decoder throws on a value it does not know instead of guessing")
    func decodersThrow() throws {
        let suppression = Row([
            "company_id": "co_x", "phone": "+31612345678", "scope": "most", "since": 0, "source": "link", "campaign_ref": nil,
        ])
        let endpoint = Row([
            "id": "we_x", "company_id": "co_x", "url": "https://a.example", "description": "", "event_types": "not json",
            "enabled": true, "disabled_reason": nil, "secret": "whsec_x", "previous_secret": nil, "previous_secret_until": nil,
            "created_at": 0,
        ])
        let campaign = Row(["id": 1, "company_id": "co_x", "ref": "r", "name": "n", "purpose": "spam", "created_at": 0])

        #expect(throws: StoreError.unknownStoredValue(column: "suppressions.scope", value: "most")) { try SQLiteStore.suppression(suppression) }
        #expect(throws: StoreError.unknownStoredValue(column: "webhook_endpoints.event_types", value: "not json")) {
            try SQLiteStore.endpoint(endpoint)
        }
        #expect(throws: StoreError.unknownStoredValue(column: "campaigns.purpose", value: "spam")) { try SQLiteStore.campaign(campaign) }
    }

    @Test("upgrading to CHECK constraints keeps every row, the event counter and the foreign keys, and drops the triggers")
    func checksReplaceTriggersOnUpgrade() async throws {
        let queue = try DatabaseQueue()
        try SQLiteMigrations.migrator.migrate(queue, upTo: "016-ledger-actors")
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO companies (id, name, default_country, default_language, created_at) VALUES ('a', 'A', 'NL', 'nl', 0);
                INSERT INTO campaigns (id, company_id, ref, name, purpose, created_at) VALUES (1, 'a', 'spring', 'Spring', 'marketing', 0);
                INSERT INTO links (id, code, company_id, campaign_id, phone, created_at) VALUES (1, 'abcdef', 'a', 1, '+31612345671', 0);
                INSERT INTO visits (link_id, kind, visitor, at) VALUES (1, 'human', 'v1', 5), (1, 'bot', 'v2', 6);
                INSERT INTO webhook_endpoints (id, company_id, url, description, event_types, secret, created_at)
                    VALUES ('we_1', 'a', 'https://hooks.example/in', '', '[]', 'whsec_x', 0);
                """)
            for index in 1...4 {
                try db.execute(
                    sql: """
                        INSERT INTO consent_events (company_id, action, phone, scope, source, campaign_id, reason, occurred_at, company_seq)
                        VALUES ('a', 'opt_out', ?, 'marketing', 'link', 1, 'too_many', ?, ?)
                        """,
                    arguments: ["+3161234567\(index)", index, index]
                )
            }
            try db.execute(sql: """
                INSERT INTO suppressions (company_id, phone, scope, since, source, campaign_id, last_seq) VALUES ('a', '+31612345671', 'marketing', 1, 'link', 1, 1);
                INSERT INTO webhook_deliveries (endpoint_id, seq, status, created_at, number) VALUES ('we_1', 1, 'succeeded', 1, 1), ('we_1', 2, 'pending', 2, 2);
                DELETE FROM consent_events WHERE seq = 4;
                """)
        }
        @Sendable func snapshot(_ db: Database) throws -> [String] {
            try ["consent_events ORDER BY seq", "suppressions ORDER BY phone", "webhook_deliveries ORDER BY id", "visits ORDER BY id"].flatMap { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map(\.description)
            }
        }
        let before = try await queue.read(snapshot)

        _ = try SQLiteStore(writer: queue)

        try await queue.read { db in
            #expect(try snapshot(db) == before)
            #expect(try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'consent_events'") == 4)
            let triggers = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('consent_events', 'suppressions', 'webhook_deliveries', 'visits')
                """)
            #expect(triggers == [])
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'consent_events' AND sql IS NOT NULL ORDER BY name")
            #expect(indexes == [
                "consent_events_by_campaign", "consent_events_by_company_seq", "consent_events_by_number",
                "consent_events_with_raw_text", "consent_events_with_reason_text",
            ])
        }
        // The next event takes seq 5: the deleted 4 is never given again.
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO consent_events (company_id, action, phone, scope, source, occurred_at, company_seq)
                VALUES ('a', 'opt_out', '+31612345679', 'marketing', 'api', 9, 5)
                """)
            #expect(db.lastInsertedRowID == 5)
        }
    }

    @Test("upgrading numbers each company's existing events 1, 2, 3 in their order; old cursors find their place")
    func eventsAreNumberedPerCompanyOnUpgrade() async throws {
        let queue = try DatabaseQueue()
        try SQLiteMigrations.migrator.migrate(queue, upTo: "010-inbound-fingerprints")
        try await queue.write { db in
            for company in ["a", "b"] {
                try db.execute(sql: "INSERT INTO companies (id, name, default_country, default_language, created_at) VALUES (?, 'X', 'NL', 'nl', 0)", arguments: [company])
            }
            // Row ids 1...7, interleaved: a b b a b a a.
            for (index, company) in ["a", "b", "b", "a", "b", "a", "a"].enumerated() {
                try db.execute(
                    sql: "INSERT INTO consent_events (company_id, action, phone, scope, source, occurred_at) VALUES (?, 'opt_out', ?, 'marketing', 'api', 0)",
                    arguments: [company, "+3161234567\(index)"]
                )
            }
        }

        let store = try SQLiteStore(writer: queue)

        let numbered = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT company_id, seq, company_seq FROM consent_events ORDER BY seq").map {
                "\($0["company_id"] as String)\($0["company_seq"] as Int64)"
            }
        }
        #expect(numbered == ["a1", "b1", "b2", "a2", "b3", "a3", "a4"])
        #expect(try await store.feedHead(companyID: "a") == 4)
        #expect(try await store.feedHead(companyID: "b") == 3)
        // A cursor that held row id 5 (b's third event) resumes after a's second and b's third.
        #expect(try await store.feedPosition(companyID: "a", legacySeq: 5) == 2)
        #expect(try await store.feedPosition(companyID: "b", legacySeq: 5) == 3)
        #expect(try await store.feedPosition(companyID: "b", legacySeq: 0) == 0)
        // The next event continues the company's own count.
        _ = try await store.recordOptOut(OptOutRequest(
            companyID: "b", phone: PhoneNumber(trustedE164: "+31699999999"), scope: .marketing, source: .api, occurredAt: Date()
        ))
        #expect(try await store.feedHead(companyID: "b") == 4)
    }

    /// A row in every table that has an enum column.
    @Test("upgrading turns kept answers that show an API key or a whsec_ secret into the marker, and leaves others")
    func keptSecretsAreRemovedOnUpgrade() async throws {
        let queue = try DatabaseQueue()
        try SQLiteMigrations.migrator.migrate(queue, upTo: "008-idempotency-reservations")
        let bodies = [
            "key": #"{"created_at":"2026-01-01T00:00:00.000Z","key":"sk_0123456789abcdefghjkmnpqrstvwxyz","name":"","prefix":"sk_01234567"}"#,
            "hook": #"{"enabled":true,"id":"wh_1","secret":"whsec_c2VjcmV0","url":"https://a.example"}"#,
            "inbound": #"{"secret":"whsec_aW5ib3VuZA=="}"#,
            "campaign": #"{"name":"Desk_chairs","ref":"desk_chairs"}"#,
        ]
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO companies (id, name, default_country, default_language, created_at) VALUES ('c', 'Acme', 'NL', 'nl', 0)")
            for (key, body) in bodies {
                try db.execute(
                    sql: """
                        INSERT INTO idempotency_keys (company_id, key, request_hash, reserved_at, status, content_type, body, answered_at)
                        VALUES ('c', ?, 'h', 0, 201, 'application/json', ?, 0)
                        """,
                    arguments: [key, Data(body.utf8)]
                )
            }
        }

        _ = try SQLiteStore(writer: queue)

        let kept = try await queue.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, status, body FROM idempotency_keys").map { row in
                (row["key"] as String, (status: row["status"] as Int, body: String(decoding: row["body"] as Data, as: UTF8.self)))
            })
        }
        for key in ["key", "hook", "inbound"] {
            #expect(kept[key]?.status == 409)
            #expect(kept[key]?.body.contains("already_created") == true)
            #expect(kept[key]?.body.contains("sk_") == false && kept[key]?.body.contains("whsec_") == false)
        }
        #expect(kept["campaign"]?.status == 201)
        #expect(kept["campaign"]?.body == bodies["campaign"])
    }

    @Test("upgrading forgets the demo API key kept in the clear, and gives companies the standard retention")
    func demoKeyIsForgottenOnUpgrade() async throws {
        let queue = try DatabaseQueue()
        try SQLiteMigrations.migrator.migrate(queue, upTo: "010-inbound-fingerprints")
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO companies (id, name, default_country, default_language, created_at) VALUES ('c', 'Acme', 'NL', 'nl', 0)")
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('demo_api_key', 'sk_0123456789abcdefghjkmnpqrstvwxyz'), ('demo_company_id', 'c')")
        }

        let store = try SQLiteStore(writer: queue)

        let settings = try await queue.read { db in try String.fetchAll(db, sql: "SELECT key FROM settings ORDER BY key") }
        #expect(settings == ["demo_company_id"])
        #expect(try await store.company(id: "c")?.retention == .standard)
    }

    static func oneOfEverything(in store: SQLiteStore) async throws {
        let (company, campaign) = try await store.acmeWithCampaign()
        let links = try await store.issueLinks(campaign: campaign, phones: [Sample.phone(1)], codeLength: 10, at: Sample.now)
        try await store.recordVisits([Visit(linkID: links[0].id, kind: .human, visitor: "v", at: Sample.now)])
        _ = try await store.createEndpoint(companyID: company.id, url: "https://a.example", description: "", eventTypes: [], at: Sample.now)
        _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(1), campaign: campaign))
        _ = try await store.processInbound(
            InboundMessage(companyID: company.id, gateway: .twilio, messageID: "SM1", from: try Sample.phone(2), to: "36111", text: "STOP", receivedAt: Sample.now),
            decision: InboundDecision(action: .optOut, reply: "out")
        )
    }
}
