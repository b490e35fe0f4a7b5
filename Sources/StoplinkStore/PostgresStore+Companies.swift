import Foundation
import PostgresNIO
import StoplinkCore

/// `CompanyStore` on PostgreSQL.
extension PostgresStore {
    public func createCompany(name: String, defaultCountry: String, defaultLanguage: String, at: Date) async throws -> Company {
        let company = Company(
            id: Identifiers.companyID(), name: name, defaultCountry: defaultCountry.uppercased(),
            defaultLanguage: defaultLanguage, optOutScope: .marketing, reasons: nil, pageText: [:], createdAt: at
        )
        try await write { connection in
            try await connection.execute(
                """
                INSERT INTO companies (id, name, default_country, default_language, opt_out_scope, created_at)
                VALUES (\(company.id), \(company.name), \(company.defaultCountry), \(company.defaultLanguage),
                        \(company.optOutScope.rawValue), \(Millis.from(at)))
                """,
                logger: logger
            )
        }
        return company
    }

    public func company(id: String) async throws -> Company? {
        try await read { connection in try await Self.company(connection, id: id, logger: logger) }
    }

    public func updateCompany(_ company: Company) async throws {
        try await write { connection in try await Self.update(company, connection, logger: logger) }
    }

    public func updateCompany<T: Sendable>(id: String, _ change: @Sendable (inout Company) throws -> T) async throws -> T {
        try await write { connection in
            guard var company = try await Self.company(connection, id: id, locking: true, logger: logger) else {
                throw StoreError.companyNotFound(id)
            }
            let result = try change(&company)
            company.id = id
            try await Self.update(company, connection, logger: logger)
            return result
        }
    }

    public func companyCount() async throws -> Int {
        try await read { connection in
            Int(try await connection.scalar("SELECT COUNT(*) FROM companies", as: Int64.self, logger: logger) ?? 0)
        }
    }

    /// A company by id; with `locking`, its row stays locked until the transaction ends, so a
    /// read-change-write of its settings cannot lose another's change.
    static func company(_ connection: PostgresConnection, id: String, locking: Bool = false, logger: Logger) async throws -> Company? {
        // NO KEY: rows that only reference the company (links, events) can still be inserted.
        let lock = locking ? " FOR NO KEY UPDATE" : ""
        return try await connection.first("SELECT * FROM companies WHERE id = \(id)\(unescaped: lock)", logger: logger, company)
    }

    /// Writes every setting of `company`; throws `StoreError.companyNotFound` for an unknown id.
    private static func update(_ company: Company, _ connection: PostgresConnection, logger: Logger) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let reasons = try company.reasons.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        func json<Value: Encodable>(_ value: Value) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        let (pageText, helpText, confirmationText) = (try json(company.pageText), try json(company.helpText), try json(company.confirmationText))
        let (keywords, rules) = (try json(company.keywords), try json(company.messageRules))
        let changed = try await connection.count(
            """
            UPDATE companies SET name = \(company.name), default_country = \(company.defaultCountry),
                default_language = \(company.defaultLanguage), opt_out_scope = \(company.optOutScope.rawValue),
                reasons = \(reasons), page_text = \(pageText), help_text = \(helpText),
                confirmation_text = \(confirmationText), inbound_policy = \(company.inboundPolicy.rawValue),
                twilio_auth_token = \(company.twilioAuthToken), keywords = \(keywords), message_rules = \(rules),
                retain_visits_days = \(company.retention.visitsDays), retain_reasons_days = \(company.retention.reasonsDays),
                retain_inbound_days = \(company.retention.inboundDays)
            WHERE id = \(company.id) RETURNING 1
            """,
            logger: logger
        )
        if changed == 0 { throw StoreError.companyNotFound(company.id) }
    }

    static func company(_ row: PostgresRandomAccessRow) throws -> Company {
        let decoder = JSONDecoder()
        func json<Value: Decodable>(_ column: String, _ type: Value.Type) throws -> Value {
            try decoder.decode(Value.self, from: Data((try row.value(column, as: String?.self) ?? "{}").utf8))
        }
        let reasons: [Reason]? = try row.value("reasons", as: String?.self).map { try decoder.decode([Reason].self, from: Data($0.utf8)) }
        return Company(
            id: try row.value("id"), name: try row.value("name"), defaultCountry: try row.value("default_country"),
            defaultLanguage: try row.value("default_language"),
            optOutScope: try decode(OptOutScope.self, try row.value("opt_out_scope"), column: "companies.opt_out_scope"),
            reasons: reasons, pageText: try json("page_text", [String: String].self),
            helpText: try json("help_text", [String: String].self),
            confirmationText: try json("confirmation_text", [String: String].self),
            inboundPolicy: try decode(InboundPolicy.self, try row.value("inbound_policy"), column: "companies.inbound_policy"),
            twilioAuthToken: try row.value("twilio_auth_token"),
            keywords: try json("keywords", [String: [String]].self),
            messageRules: try json("message_rules", MessageRules.self),
            retention: RetentionPeriods(
                visitsDays: Int(try row.value("retain_visits_days", as: Int32.self)),
                reasonsDays: Int(try row.value("retain_reasons_days", as: Int32.self)),
                inboundDays: Int(try row.value("retain_inbound_days", as: Int32.self))
            ),
            createdAt: try row.date("created_at")
        )
    }
}
