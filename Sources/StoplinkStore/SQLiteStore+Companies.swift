import Foundation
import GRDB
import StoplinkCore
import Synchronization

/// `CompanyStore` on SQLite.
extension SQLiteStore {
    public func createCompany(name: String, defaultCountry: String, defaultLanguage: String, at: Date) async throws -> Company {
        let company = Company(
            id: Identifiers.companyID(), name: name, defaultCountry: defaultCountry.uppercased(),
            defaultLanguage: defaultLanguage, optOutScope: .marketing, reasons: nil, pageText: [:], createdAt: at
        )
        try await write { db in
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
        try await writer.read { [decoded] db in try Self.company(db, id: id, decoded: decoded) }
    }

    /// The company `id`; with `decoded`, a row equal to the one last decoded is not decoded again.
    static func company(_ db: Database, id: String, decoded: DecodedCompanies? = nil) throws -> Company? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM companies WHERE id = ?"), arguments: [id]) else {
            return nil
        }
        return try decoded?.company(row) ?? Self.company(row)
    }

    public func updateCompany(_ company: Company) async throws {
        let arguments = try Self.updateArguments(company)
        try await write { db in try Self.update(company.id, arguments: arguments, db) }
    }

    public func updateCompany<T: Sendable>(id: String, _ change: @Sendable (inout Company) throws -> T) async throws -> T {
        try await write { db in
            guard var company = try Row.fetchOne(db, sql: "SELECT * FROM companies WHERE id = ?", arguments: [id]).map(Self.company) else {
                throw StoreError.companyNotFound(id)
            }
            let result = try change(&company)
            company.id = id
            try Self.update(id, arguments: try Self.updateArguments(company), db)
            return result
        }
    }

    private static func updateArguments(_ company: Company) throws -> StatementArguments {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let reasons = try company.reasons.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let json = { (value: [String: String]) in String(decoding: try encoder.encode(value), as: UTF8.self) }
        return [
            company.name, company.defaultCountry, company.defaultLanguage, company.optOutScope.rawValue, reasons,
            try json(company.pageText), try json(company.helpText), try json(company.confirmationText),
            company.inboundPolicy.rawValue, company.twilioAuthToken,
            String(decoding: try encoder.encode(company.keywords), as: UTF8.self),
            String(decoding: try encoder.encode(company.messageRules), as: UTF8.self),
            company.retention.visitsDays, company.retention.reasonsDays, company.retention.inboundDays, company.id,
        ]
    }

    /// Writes every setting of the company `id`; `arguments` from `updateArguments`, whose last is the id.
    private static func update(_ id: String, arguments: StatementArguments, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE companies SET name = ?, default_country = ?, default_language = ?, opt_out_scope = ?,
                    reasons = ?, page_text = ?, help_text = ?, confirmation_text = ?, inbound_policy = ?,
                    twilio_auth_token = ?, keywords = ?, message_rules = ?,
                    retain_visits_days = ?, retain_reasons_days = ?, retain_inbound_days = ?
                WHERE id = ?
                """,
            arguments: arguments
        )
        if db.changesCount == 0 { throw StoreError.companyNotFound(id) }
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
            retention: RetentionPeriods(
                visitsDays: row["retain_visits_days"], reasonsDays: row["retain_reasons_days"], inboundDays: row["retain_inbound_days"]
            ),
            createdAt: Millis.date(row["created_at"])
        )
    }
}

/// Companies as last decoded from their rows. The recipient's page reads its company on every
/// tap, and decoding the row's JSON settings cost more than reading it. An entry is used only
/// when the row just read is equal, column by column, to the one it was decoded from, so a
/// changed setting shows at once, whoever changed it.
final class DecodedCompanies: Sendable {
    private struct Entry {
        let row: [DatabaseValue]
        let company: Company
    }

    private let entries = Mutex<[String: Entry]>([:])
    static let capacity = 1_024

    func company(_ row: Row) throws -> Company {
        let values = Array(row.databaseValues)
        let id: String = row["id"]
        if let entry = entries.withLock({ $0[id] }), entry.row == values { return entry.company }
        let company = try SQLiteStore.company(row)
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[id] = Entry(row: values, company: company)
        }
        return company
    }
}
