import Foundation
import GRDB
import ServiceLifecycle
import StoplinkCore

/// The embedded default: one SQLite file through GRDB.
public struct SQLiteStore: Store {
    let writer: any DatabaseWriter

    /// Runs the migrations on `writer` (SQLite is one process, so opening is migrating); tests
    /// may pass an in-memory queue. Refuses a database a newer build has migrated.
    public init(writer: any DatabaseWriter) throws {
        self.writer = writer
        let migrator = SQLiteMigrations.migrator
        let unknown = try writer.read { db in
            try migrator.hasBeenSuperseded(db) ? try migrator.appliedIdentifiers(db).subtracting(migrator.migrations) : []
        }
        guard unknown.isEmpty else { throw StoreError.schemaIsNewer(unknownMigrations: unknown.sorted()) }
        try migrator.migrate(writer)
    }

    /// Opens (creating if needed) the database file at `path`: WAL with one writer and many
    /// readers, `synchronous=FULL` so an acknowledged opt-out survives a power loss.
    public static func open(path: String) throws -> SQLiteStore {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Random codes and numbers touch random index pages: SQLite's default 2 MB cache
            // turns a bulk issue into disk reads. The writer gets 64 MB, each reader 16 MB.
            let cacheKiB = db.configuration.readonly ? 16 * 1024 : 64 * 1024
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
        }
        return try SQLiteStore(writer: DatabasePool(path: path, configuration: configuration))
    }

    /// Whether every migration this build knows has been applied.
    public func isMigrated() async throws -> Bool {
        try await writer.read { db in try SQLiteMigrations.migrator.hasCompletedMigrations(db) }
    }

    /// SQLite runs inside the process: nothing to run beside it.
    public var services: [any Service] { [] }

    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Companies

    public func createCompany(name: String, defaultCountry: String, defaultLanguage: String, at: Date) async throws -> Company {
        let company = Company(
            id: Identifiers.companyID(), name: name, defaultCountry: defaultCountry.uppercased(),
            defaultLanguage: defaultLanguage, optOutScope: .marketing, reasons: nil, pageText: [:], createdAt: at
        )
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO companies (id, name, default_country, default_language, opt_out_scope, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [company.id, company.name, company.defaultCountry, company.defaultLanguage,
                            company.optOutScope.rawValue, Millis.from(at)]
            )
        }
        return company
    }

    public func company(id: String) async throws -> Company? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM companies WHERE id = ?", arguments: [id]).map(Self.company)
        }
    }

    public func updateCompany(_ company: Company) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let reasons = try company.reasons.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let json = { (value: [String: String]) in String(decoding: try encoder.encode(value), as: UTF8.self) }
        let arguments: StatementArguments = [
            company.name, company.defaultCountry, company.defaultLanguage, company.optOutScope.rawValue, reasons,
            try json(company.pageText), try json(company.helpText), try json(company.confirmationText),
            company.inboundPolicy.rawValue, company.twilioAuthToken,
            String(decoding: try encoder.encode(company.keywords), as: UTF8.self),
            String(decoding: try encoder.encode(company.messageRules), as: UTF8.self), company.id,
        ]
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE companies SET name = ?, default_country = ?, default_language = ?, opt_out_scope = ?,
                        reasons = ?, page_text = ?, help_text = ?, confirmation_text = ?, inbound_policy = ?,
                        twilio_auth_token = ?, keywords = ?, message_rules = ?
                    WHERE id = ?
                    """,
                arguments: arguments
            )
            if db.changesCount == 0 { throw StoreError.companyNotFound(company.id) }
        }
    }

    public func companyCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM companies") ?? 0 }
    }

    static func company(_ row: Row) throws -> Company {
        let decoder = JSONDecoder()
        let reasons: [Reason]? = try (row["reasons"] as String?).map { try decoder.decode([Reason].self, from: Data($0.utf8)) }
        let pageText = try decoder.decode([String: String].self, from: Data((row["page_text"] as String? ?? "{}").utf8))
        return Company(
            id: row["id"], name: row["name"], defaultCountry: row["default_country"],
            defaultLanguage: row["default_language"],
            optOutScope: try decode(OptOutScope.self, row["opt_out_scope"], column: "companies.opt_out_scope"),
            reasons: reasons, pageText: pageText,
            helpText: try decoder.decode([String: String].self, from: Data((row["help_text"] as String? ?? "{}").utf8)),
            confirmationText: try decoder.decode([String: String].self, from: Data((row["confirmation_text"] as String? ?? "{}").utf8)),
            inboundPolicy: try decode(InboundPolicy.self, row["inbound_policy"], column: "companies.inbound_policy"),
            twilioAuthToken: row["twilio_auth_token"],
            keywords: try decoder.decode([String: [String]].self, from: Data((row["keywords"] as String? ?? "{}").utf8)),
            messageRules: try decoder.decode(MessageRules.self, from: Data((row["message_rules"] as String? ?? "{}").utf8)),
            createdAt: Millis.date(row["created_at"])
        )
    }

    // MARK: Campaigns and links

    public func createCampaign(companyID: String, ref: String, name: String, purpose: Purpose, at: Date) async throws -> Campaign {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM companies WHERE id = ?", arguments: [companyID]) != nil else {
                throw StoreError.companyNotFound(companyID)
            }
            do {
                try db.execute(
                    sql: "INSERT INTO campaigns (company_id, ref, name, purpose, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [companyID, ref, name, purpose.rawValue, Millis.from(at)]
                )
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw StoreError.campaignExists(ref)
            }
            return Campaign(id: db.lastInsertedRowID, companyID: companyID, ref: ref, name: name, purpose: purpose, createdAt: at)
        }
    }

    public func campaign(companyID: String, ref: String) async throws -> Campaign? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM campaigns WHERE company_id = ? AND ref = ?", arguments: [companyID, ref]
            ).map(Self.campaign)
        }
    }

    static func campaign(_ row: Row) throws -> Campaign {
        Campaign(
            id: row["id"], companyID: row["company_id"], ref: row["ref"], name: row["name"],
            purpose: try decode(Purpose.self, row["purpose"], column: "campaigns.purpose"), createdAt: Millis.date(row["created_at"])
        )
    }

    public func issueLinks(campaign: Campaign, phones: [PhoneNumber], codeLength: Int, at: Date) async throws -> [Link] {
        let created = Millis.from(at)
        return try await writer.write { db in
            let find = try db.cachedStatement(sql: "SELECT id, code, created_at FROM links WHERE campaign_id = ? AND phone = ?")
            // New numbers, the common case, cost one statement: the insert is tried first and
            // only a conflict (a number already issued, or a code collision) is looked into.
            let insert = try db.cachedStatement(sql: """
                INSERT INTO links (code, company_id, campaign_id, phone, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """)
            var issued: [PhoneNumber: Link] = [:]
            var links: [Link] = []
            links.reserveCapacity(phones.count)
            for phone in phones {
                if let known = issued[phone] {
                    links.append(known)
                    continue
                }
                var link: Link?
                while link == nil {
                    let code = ShortCode.generate(length: codeLength)
                    try insert.execute(arguments: [code, campaign.companyID, campaign.id, phone.e164, created])
                    if db.changesCount == 1 {
                        link = Link(
                            id: db.lastInsertedRowID, code: code, companyID: campaign.companyID, campaignID: campaign.id,
                            campaignRef: campaign.ref, phone: phone, createdAt: at
                        )
                    } else if let row = try Row.fetchOne(find, arguments: [campaign.id, phone.e164]) {
                        link = Link(
                            id: row[0], code: row[1], companyID: campaign.companyID, campaignID: campaign.id,
                            campaignRef: campaign.ref, phone: phone, createdAt: Millis.date(row[2])
                        )
                    }
                    // Otherwise the code collided with an issued one (about once in 2^50 / issued
                    // codes): the loop draws a fresh code.
                }
                guard let link else { continue }
                issued[phone] = link
                links.append(link)
            }
            return links
        }
    }

    public func link(code: String) async throws -> Link? {
        try await writer.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT links.*, campaigns.ref AS campaign_ref FROM links
                    JOIN campaigns ON campaigns.id = links.campaign_id WHERE links.code = ?
                    """,
                arguments: [code]
            ).map { row in
                Link(
                    id: row["id"], code: row["code"], companyID: row["company_id"], campaignID: row["campaign_id"],
                    campaignRef: row["campaign_ref"], phone: PhoneNumber(trustedE164: row["phone"]),
                    createdAt: Millis.date(row["created_at"])
                )
            }
        }
    }

    // MARK: Consent

    public func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome {
        try await writer.write { db in try Self.recordOptOut(db, request) }
    }

    public func recordLinkOptOut(
        _ request: OptOutRequest, linkID: Int64, wrongNumbersSince since: Date, limit: Int
    ) async throws -> OptOutOutcome? {
        try await writer.write { db in
            guard try Self.failedAttempts(db, linkID: linkID, since: since) < limit else { return nil }
            return try Self.recordOptOut(db, request)
        }
    }

    /// The opt-out's ledger row, deliveries and suppression, inside the caller's transaction.
    static func recordOptOut(_ db: Database, _ request: OptOutRequest) throws -> OptOutOutcome {
        do {
            let current = try Self.suppression(db, companyID: request.companyID, phone: request.phone)
            if let current, LedgerRules.optOut(request.scope, over: current.scope) != .record {
                return .alreadyOptedOut(current)
            }
            try db.execute(
                sql: """
                    INSERT INTO consent_events
                        (company_id, action, phone, scope, source, campaign_id, reason, reason_text, raw_text, occurred_at)
                    VALUES (?, 'opt_out', ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [request.companyID, request.phone.e164, request.scope.rawValue, request.source.rawValue,
                            request.campaignID, request.reason, request.reasonText, request.rawText,
                            Millis.from(request.occurredAt)]
            )
            let seq = db.lastInsertedRowID
            try Self.enqueueDeliveries(db, companyID: request.companyID, seq: seq, action: .optOut, at: request.occurredAt)
            try db.execute(
                sql: """
                    INSERT INTO suppressions (company_id, phone, scope, since, source, campaign_id, last_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (company_id, phone) DO UPDATE SET
                        scope = excluded.scope, since = excluded.since, source = excluded.source,
                        campaign_id = excluded.campaign_id, last_seq = excluded.last_seq
                    """,
                arguments: [request.companyID, request.phone.e164, request.scope.rawValue,
                            Millis.from(request.occurredAt), request.source.rawValue, request.campaignID, seq]
            )
            guard let event = try Self.events(db, where: "seq = ?", [seq]).first else {
                throw DatabaseError(message: "consent event \(seq) vanished inside its own transaction")
            }
            return .recorded(event)
        }
    }

    public func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression? {
        try await writer.read { db in try Self.suppression(db, companyID: companyID, phone: phone) }
    }

    public func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent] {
        try await writer.read { db in
            try Self.events(db, where: "e.company_id = ? AND e.phone = ?", [companyID, phone.e164])
        }
    }

    static let suppressionSQL = """
        SELECT s.*, c.ref AS campaign_ref FROM suppressions s
        LEFT JOIN campaigns c ON c.id = s.campaign_id
        WHERE s.company_id = ? AND s.phone = ?
        """

    static func suppression(_ db: Database, companyID: String, phone: PhoneNumber) throws -> Suppression? {
        try Row.fetchOne(db.cachedStatement(sql: suppressionSQL), arguments: [companyID, phone.e164]).map(suppression)
    }

    static func suppression(_ row: Row) throws -> Suppression {
        Suppression(
            companyID: row["company_id"], phone: PhoneNumber(trustedE164: row["phone"]),
            scope: try decode(OptOutScope.self, row["scope"], column: "suppressions.scope"), since: Millis.date(row["since"]),
            source: try decode(ConsentSource.self, row["source"], column: "suppressions.source"), campaignRef: row["campaign_ref"]
        )
    }

    /// Events matching `condition`; `ordered` adds `ORDER BY seq` (a condition may bring its own).
    /// `cached`: keep the prepared statement (for fixed SQL); conditions that embed values, such
    /// as an `IN (...)` list, must not be cached or the cache grows without end.
    static func events(
        _ db: Database, where condition: String, _ arguments: StatementArguments, ordered: Bool = true, cached: Bool = true
    ) throws -> [ConsentEvent] {
        // Columns by position, not by name: a feed export decodes millions of rows, and a name
        // lookup costs a lowercased copy of the name each time.
        let sql = """
            SELECT e.seq, e.company_id, e.action, e.phone, e.scope, e.source, c.ref, e.reason, e.reason_text,
                   e.evidence, e.occurred_at
            FROM consent_events e LEFT JOIN campaigns c ON c.id = e.campaign_id
            WHERE \(condition)\(ordered ? " ORDER BY e.seq" : "")
            """
        let statement = cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        var events: [ConsentEvent] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            events.append(ConsentEvent(
                seq: row[0], companyID: row[1], action: try decode(ConsentAction.self, row[2], column: "consent_events.action"),
                phone: PhoneNumber(trustedE164: row[3]), scope: try decode(OptOutScope.self, row[4], column: "consent_events.scope"),
                source: try decode(ConsentSource.self, row[5], column: "consent_events.source"), campaignRef: row[6], reason: row[7], reasonText: row[8],
                evidence: row[9], occurredAt: Millis.date(row[10])
            ))
        }
        return events
    }

    // MARK: Attempts and visits

    public func recordFailedAttempt(linkID: Int64, at: Date, countingSince since: Date) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO failed_attempts (link_id, at) VALUES (?, ?)", arguments: [linkID, Millis.from(at)])
            return try Self.failedAttempts(db, linkID: linkID, since: since)
        }
    }

    public func failedAttempts(linkID: Int64, since: Date) async throws -> Int {
        try await writer.read { db in try Self.failedAttempts(db, linkID: linkID, since: since) }
    }

    static func failedAttempts(_ db: Database, linkID: Int64, since: Date) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM failed_attempts WHERE link_id = ? AND at > ?",
            arguments: [linkID, Millis.from(since)]
        ) ?? 0
    }

    public func recordVisits(_ visits: [Visit]) async throws {
        guard !visits.isEmpty else { return }
        try await writer.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO visits (link_id, kind, visitor, at) VALUES (?, ?, ?, ?)")
            for visit in visits {
                try insert.execute(arguments: [visit.linkID, visit.kind.rawValue, visit.visitor, Millis.from(visit.at)])
            }
        }
    }

    public func visitCounts(linkID: Int64) async throws -> VisitCounts {
        try await writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FILTER (WHERE kind = 'human') AS human,
                           COUNT(*) FILTER (WHERE kind = 'bot') AS bot,
                           COUNT(DISTINCT visitor) FILTER (WHERE kind = 'human') AS unique_humans
                    FROM visits WHERE link_id = ?
                    """,
                arguments: [linkID]
            )
            return VisitCounts(human: row?["human"] ?? 0, bot: row?["bot"] ?? 0, uniqueHumans: row?["unique_humans"] ?? 0)
        }
    }

    // MARK: Settings

    public func setting(_ key: String, orInsert makeValue: @Sendable () -> String) async throws -> String {
        try await writer.write { db in
            if let value = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) {
                return value
            }
            let value = makeValue()
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?)", arguments: [key, value])
            return value
        }
    }

    public func replaceSetting(_ key: String, with value: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value]
            )
        }
    }
}

extension SQLiteStore {
    /// A stored enum value; an unknown one means a corrupt row, reported rather than guessed.
    static func decode<Value: RawRepresentable>(_ type: Value.Type, _ raw: String, column: String) throws -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: raw) else { throw StoreError.unknownStoredValue(column: column, value: raw) }
        return value
    }
}

/// Times are stored as Unix milliseconds.
enum Millis {
    static func from(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}
