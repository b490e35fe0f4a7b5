import Foundation
import GRDB
import Logging
import PostgresNIO

/// Moves a whole installation between SQLite and PostgreSQL (either way), table by table in
/// batches, each batch one transaction, rows already there skipped: a copy that stops half-way
/// resumes where it stopped when run again with the same source. Dashboard sessions and the
/// short-lived lockout counters (failed logins, wrong numbers) are not moved: everyone logs in
/// again and the windows start afresh. At the end the row counts of both sides are compared.
public enum StoreCopy {
    /// One column's kind, as both schemas store it.
    enum Kind { case int, text, bool, blob }

    struct Table {
        let name: String
        /// Columns in the order they are read and written.
        let columns: [(name: String, kind: Kind)]
        /// The primary key, by which rows are paged and duplicates recognised.
        let key: [String]
        /// An identity column whose PostgreSQL sequence must move past the copied values.
        let identity: String?
    }

    enum Value: Sendable, Equatable {
        case null, int(Int64), text(String), bool(Bool), blob([UInt8])
    }

    /// What one table's copy did.
    public struct TableResult: Sendable {
        public let table: String
        public let copied: Int
        public let total: Int
    }

    /// Every table, parents before children.
    static let tables: [Table] = {
        func t(_ name: String, _ columns: String, key: String, identity: String? = nil, bools: Set<String> = [], blobs: Set<String> = [],
               texts: Set<String>) -> Table {
            let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return Table(
                name: name,
                columns: names.map { column in
                    (column, bools.contains(column) ? .bool : blobs.contains(column) ? .blob : texts.contains(column) ? .text : .int)
                },
                key: key.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, identity: identity
            )
        }
        return [
            t("settings", "key, value", key: "key", texts: ["key", "value"]),
            t("companies",
              "id, name, default_country, default_language, opt_out_scope, reasons, page_text, help_text, confirmation_text, "
                + "inbound_policy, twilio_auth_token, inbound_secret, keywords, message_rules, retain_visits_days, "
                + "retain_reasons_days, retain_inbound_days, created_at",
              key: "id",
              texts: ["id", "name", "default_country", "default_language", "opt_out_scope", "reasons", "page_text", "help_text",
                      "confirmation_text", "inbound_policy", "twilio_auth_token", "inbound_secret", "keywords", "message_rules"]),
            t("campaigns", "id, company_id, ref, name, purpose, created_at", key: "id", identity: "id",
              texts: ["company_id", "ref", "name", "purpose"]),
            t("links", "id, code, company_id, campaign_id, phone, created_at", key: "id", identity: "id",
              texts: ["code", "company_id", "phone"]),
            t("consent_events",
              "seq, company_id, company_seq, action, phone, scope, source, campaign_id, reason, reason_text, evidence, raw_text, "
                + "occurred_at, user_id, user_email",
              key: "seq", identity: "seq",
              texts: ["company_id", "action", "phone", "scope", "source", "reason", "reason_text", "evidence", "raw_text", "user_id",
                      "user_email"]),
            t("suppressions", "company_id, phone, scope, since, source, campaign_id, last_seq", key: "company_id, phone",
              texts: ["company_id", "phone", "scope", "source"]),
            t("visits", "id, link_id, kind, visitor, at", key: "id", identity: "id", texts: ["kind", "visitor"]),
            t("purged_visits_by_link", "link_id, human, bot, unique_humans", key: "link_id", texts: []),
            t("purged_visits_by_campaign", "campaign_id, unique_humans", key: "campaign_id", texts: []),
            t("api_keys", "prefix, company_id, hash, name, created_at, last_used_at, revoked_at", key: "prefix",
              texts: ["prefix", "company_id", "hash", "name"]),
            t("webhook_endpoints",
              "id, company_id, url, description, event_types, enabled, disabled_reason, secret, previous_secret, "
                + "previous_secret_until, created_at",
              key: "id", bools: ["enabled"],
              texts: ["id", "company_id", "url", "description", "event_types", "disabled_reason", "secret", "previous_secret"]),
            t("webhook_deliveries",
              "id, endpoint_id, number, seq, status, attempts, next_attempt_at, claimed_until, last_status_code, last_error, "
                + "created_at, completed_at",
              key: "id", identity: "id", texts: ["endpoint_id", "status", "last_error"]),
            t("webhook_test_deliveries", "id, endpoint_id, message_id, succeeded, status_code, error, sent_at", key: "id",
              identity: "id", bools: ["succeeded"], texts: ["endpoint_id", "message_id", "error"]),
            t("sms_numbers", "number, company_id, created_at", key: "number", texts: ["number", "company_id"]),
            t("inbound_messages",
              "id, company_id, gateway, message_id, phone, to_number, text, received_at, action, scope, reply, status, "
                + "review_deadline, resolved_at, fingerprint",
              key: "id", identity: "id",
              texts: ["company_id", "gateway", "message_id", "phone", "to_number", "text", "action", "scope", "reply", "status",
                      "fingerprint"]),
            t("idempotency_keys", "company_id, key, request_hash, reserved_at, status, content_type, body, answered_at",
              key: "company_id, key", blobs: ["body"], texts: ["company_id", "key", "request_hash", "content_type"]),
            t("users", "id, company_id, email, role, password_hash, created_at, password_changed_at", key: "id",
              texts: ["id", "company_id", "email", "role", "password_hash"]),
            t("audit_log", "id, company_id, user_id, user_email, action, detail, at", key: "id", identity: "id",
              texts: ["company_id", "user_id", "user_email", "action", "detail"]),
            t("email_recipients", "company_id, address, forward, digest, created_at", key: "company_id, address",
              bools: ["forward", "digest"], texts: ["company_id", "address"]),
            t("emails",
              "id, company_id, address, kind, seq, digest_day, subject, body, status, attempts, next_attempt_at, claimed_until, "
                + "last_error, created_at, completed_at",
              key: "id", identity: "id",
              texts: ["company_id", "address", "kind", "digest_day", "subject", "body", "status", "last_error"]),
        ]
    }()

    /// The settings key that marks a copy in progress in the target, with the source it copies.
    static let marker = "copy.in_progress_from"

    /// Copies everything from `source` to `target` (one SQLite and one PostgreSQL store, or two
    /// of the same kind), reporting each table as it finishes. Refuses a target that holds
    /// companies unless it is an unfinished copy of the same source.
    public static func run(
        from source: any Store, named sourceName: String, to target: any Store, batchSize: Int = 5000,
        progress: @Sendable (TableResult) -> Void = { _ in }
    ) async throws -> [TableResult] {
        let from = try side(source)
        let to = try side(target)
        let resumed = try await to.setting(marker)
        if resumed == nil, try await to.count("companies") > 0 {
            throw CopyError("the target already holds companies: copy into a new, empty database")
        }
        if let resumed, resumed != sourceName {
            throw CopyError("the target holds an unfinished copy of \(resumed), not of \(sourceName)")
        }
        try await to.setSetting(marker, sourceName)
        var results: [TableResult] = []
        for table in tables {
            var copied = 0
            var after: [Value]? = nil
            while true {
                let rows = try await from.page(table, after: after, limit: max(1, min(batchSize, 60_000 / table.columns.count)))
                guard let last = rows.last else { break }
                copied += try await to.insert(table, rows)
                after = table.key.map { key in last[table.columns.firstIndex { $0.name == key }!] }
            }
            try await to.finish(table)
            // The marker is the copy's own row, not the installation's.
            let total = try await to.count(table.name) - (table.name == "settings" ? 1 : 0)
            let result = TableResult(table: table.name, copied: copied, total: total)
            progress(result)
            results.append(result)
        }
        // The source's own copy marker (a copy of a copy) is not the target's.
        try await to.setSetting(marker, nil)
        var mismatches: [String] = []
        for table in tables {
            var sourceCount = try await from.count(table.name)
            var targetCount = try await to.count(table.name)
            if table.name == "settings" {
                if try await from.setting(marker) != nil { sourceCount -= 1 }
                if try await to.setting(marker) != nil { targetCount -= 1 }
            }
            if sourceCount != targetCount { mismatches.append("\(table.name): \(sourceCount) in the source, \(targetCount) in the target") }
        }
        guard mismatches.isEmpty else {
            throw CopyError("the counts differ (was the source written during the copy?): " + mismatches.joined(separator: "; "))
        }
        return results
    }

    static func side(_ store: any Store) throws -> any CopySide {
        if let store = store as? SQLiteStore { return SQLiteSide(writer: store.writer) }
        if let store = store as? PostgresStore { return PostgresSide(client: store.client, logger: store.logger) }
        throw CopyError("cannot copy \(type(of: store))")
    }
}

public struct CopyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One end of a copy.
protocol CopySide: Sendable {
    func page(_ table: StoreCopy.Table, after: [StoreCopy.Value]?, limit: Int) async throws -> [[StoreCopy.Value]]
    /// Inserts the rows not there yet, in one transaction; answers how many were new.
    func insert(_ table: StoreCopy.Table, _ rows: [[StoreCopy.Value]]) async throws -> Int
    /// Whatever the table needs once all its rows are in (a sequence moved past them).
    func finish(_ table: StoreCopy.Table) async throws
    func count(_ table: String) async throws -> Int
    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, _ value: String?) async throws
}

extension StoreCopy.Table {
    var columnList: String { columns.map(\.name).joined(separator: ", ") }
    var keyList: String { key.joined(separator: ", ") }
}

struct SQLiteSide: CopySide {
    let writer: any DatabaseWriter

    func page(_ table: StoreCopy.Table, after: [StoreCopy.Value]?, limit: Int) async throws -> [[StoreCopy.Value]] {
        try await writer.read { db in
            let condition = after == nil ? "" : "WHERE (\(table.keyList)) > (\(table.key.map { _ in "?" }.joined(separator: ", ")))"
            let arguments = StatementArguments((after ?? []).map(Self.databaseValue))
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(table.columnList) FROM \(table.name) \(condition) ORDER BY \(table.keyList) LIMIT \(limit)",
                arguments: arguments
            )
            return rows.map { row in
                table.columns.indices.map { index in
                    let value: DatabaseValue = row[index]
                    switch value.storage {
                    case .null: return .null
                    case .int64(let number): return table.columns[index].kind == .bool ? .bool(number != 0) : .int(number)
                    case .string(let text): return .text(text)
                    case .blob(let data): return .blob([UInt8](data))
                    case .double(let number): return .int(Int64(number))
                    }
                }
            }
        }
    }

    func insert(_ table: StoreCopy.Table, _ rows: [[StoreCopy.Value]]) async throws -> Int {
        try await writer.write { db in
            let statement = try db.makeStatement(
                sql: "INSERT OR IGNORE INTO \(table.name) (\(table.columnList)) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))"
            )
            var inserted = 0
            for row in rows {
                try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
                inserted += db.changesCount
            }
            return inserted
        }
    }

    func finish(_ table: StoreCopy.Table) async throws {}

    func count(_ table: String) async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    func setting(_ key: String) async throws -> String? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    func setSetting(_ key: String, _ value: String?) async throws {
        try await writer.write { db in
            if let value {
                try db.execute(
                    sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    arguments: [key, value]
                )
            } else {
                try db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [key])
            }
        }
    }

    static func databaseValue(_ value: StoreCopy.Value) -> DatabaseValue {
        switch value {
        case .null: .null
        case .int(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .bool(let flag): (flag ? 1 : 0).databaseValue
        case .blob(let bytes): Data(bytes).databaseValue
        }
    }
}

struct PostgresSide: CopySide {
    let client: PostgresClient
    let logger: Logger

    func page(_ table: StoreCopy.Table, after: [StoreCopy.Value]?, limit: Int) async throws -> [[StoreCopy.Value]] {
        var query = PostgresQuery(unsafeSQL: "")
        var sql = "SELECT \(table.columnList) FROM \(table.name)"
        if let after {
            sql += " WHERE (\(table.keyList)) > (\(after.indices.map { "$\($0 + 1)" }.joined(separator: ", ")))"
            for value in after { Self.bind(value, &query.binds) }
        }
        sql += " ORDER BY \(table.keyList) LIMIT \(limit)"
        query.sql = sql
        return try await client.withConnection { connection in
            try await connection.all(query, logger: logger) { row in
                try table.columns.indices.map { index -> StoreCopy.Value in
                    let cell = row[index]
                    switch table.columns[index].kind {
                    case .int: return try cell.decode(Int64?.self).map(StoreCopy.Value.int) ?? .null
                    case .text: return try cell.decode(String?.self).map(StoreCopy.Value.text) ?? .null
                    case .bool: return try cell.decode(Bool?.self).map(StoreCopy.Value.bool) ?? .null
                    case .blob: return try cell.decode(ByteBuffer?.self).map { .blob(Array($0.readableBytesView)) } ?? .null
                    }
                }
            }
        }
    }

    func insert(_ table: StoreCopy.Table, _ rows: [[StoreCopy.Value]]) async throws -> Int {
        var query = PostgresQuery(unsafeSQL: "")
        var tuples: [String] = []
        var parameter = 0
        for row in rows {
            var placeholders: [String] = []
            for (index, value) in row.enumerated() {
                parameter += 1
                placeholders.append("$\(parameter)::\(Self.type(table.columns[index].kind))")
                Self.bind(value, &query.binds)
            }
            tuples.append("(" + placeholders.joined(separator: ", ") + ")")
        }
        query.sql = "INSERT INTO \(table.name) (\(table.columnList)) VALUES \(tuples.joined(separator: ", ")) ON CONFLICT DO NOTHING RETURNING 1"
        return try await client.withConnection { connection in try await connection.count(query, logger: logger) }
    }

    func finish(_ table: StoreCopy.Table) async throws {
        try await client.withConnection { connection in
            if let identity = table.identity {
                try await connection.execute(
                    PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table.name)', '\(identity)'),
                                      COALESCE((SELECT MAX(\(identity)) FROM \(table.name)), 0) + 1, false)
                        """),
                    logger: logger
                )
            }
            if table.name == "consent_events" {
                try await connection.execute(
                    """
                    UPDATE companies c SET feed_head = COALESCE((SELECT MAX(company_seq) FROM consent_events e WHERE e.company_id = c.id), 0)
                    """,
                    logger: logger
                )
            }
        }
    }

    func count(_ table: String) async throws -> Int {
        try await client.withConnection { connection in
            Int(try await connection.scalar(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table)"), as: Int64.self, logger: logger) ?? 0)
        }
    }

    func setting(_ key: String) async throws -> String? {
        try await client.withConnection { connection in
            try await connection.scalar("SELECT value FROM settings WHERE key = \(key)", as: String.self, logger: logger)
        }
    }

    func setSetting(_ key: String, _ value: String?) async throws {
        try await client.withConnection { connection in
            if let value {
                try await connection.execute(
                    "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    logger: logger
                )
            } else {
                try await connection.execute("DELETE FROM settings WHERE key = \(key)", logger: logger)
            }
        }
    }

    static func type(_ kind: StoreCopy.Kind) -> String {
        switch kind {
        case .int: "bigint"
        case .text: "text"
        case .bool: "boolean"
        case .blob: "bytea"
        }
    }

    static func bind(_ value: StoreCopy.Value, _ binds: inout PostgresBindings) {
        switch value {
        case .null: binds.appendNull()
        case .int(let number): binds.append(number)
        case .text(let text): binds.append(text)
        case .bool(let flag): binds.append(flag)
        case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
        }
    }
}
