import Foundation
import PostgresNIO
import StoplinkCore

/// `LinkStore` on PostgreSQL.
extension PostgresStore {
    public func createCampaign(companyID: String, ref: String, name: String, purpose: Purpose, at: Date) async throws -> Campaign {
        try await write { connection in
            // The unique (company, ref) and the company's foreign key decide, in the insert itself.
            let id: Int64?
            do {
                id = try await connection.scalar(
                    """
                    INSERT INTO campaigns (company_id, ref, name, purpose, created_at)
                    VALUES (\(companyID), \(ref), \(name), \(purpose.rawValue), \(Millis.from(at))) RETURNING id
                    """,
                    as: Int64.self, logger: logger
                )
            } catch where Self.isUniqueViolation(error) {
                throw StoreError.campaignExists(ref)
            } catch where Self.sqlState(error) == "23503" {
                throw StoreError.companyNotFound(companyID)
            }
            guard let id else { throw StoreError.companyNotFound(companyID) }
            return Campaign(id: id, companyID: companyID, ref: ref, name: name, purpose: purpose, createdAt: at)
        }
    }

    public func campaign(companyID: String, ref: String) async throws -> Campaign? {
        try await read { connection in
            try await connection.first(
                "SELECT * FROM campaigns WHERE company_id = \(companyID) AND ref = \(ref)", logger: logger, Self.campaign
            )
        }
    }

    public func campaigns(companyID: String) async throws -> [Campaign] {
        try await read { connection in
            try await connection.all(
                "SELECT * FROM campaigns WHERE company_id = \(companyID) ORDER BY created_at, id", logger: logger, Self.campaign
            )
        }
    }

    public func issueLinks(campaign: Campaign, phones: [PhoneNumber], codeLength: Int, at: Date) async throws -> [Link] {
        let numbers = Dictionary(phones.map { ($0.e164, $0) }, uniquingKeysWith: { first, _ in first })
        // Every issuer inserts in the same (sorted) order, so two batches that share numbers wait
        // for each other instead of deadlocking.
        let wanted = numbers.keys.sorted()
        let created = Millis.from(at)
        let issued = try await write { connection -> [String: Link] in
            var found: [String: Link] = [:]
            found.reserveCapacity(wanted.count)
            var missing = wanted
            while !missing.isEmpty {
                let codes = missing.map { _ in ShortCode.generate(length: codeLength) }
                // New numbers, the common case, cost this one statement. A number issued before
                // (or by a batch committing meanwhile) or a code already taken is skipped here.
                let inserted = try await connection.all(
                    """
                    INSERT INTO links (code, company_id, campaign_id, phone, created_at)
                    SELECT batch.code, \(campaign.companyID), \(campaign.id), batch.phone, \(created)
                    FROM unnest(\(codes)::text[], \(missing)::text[]) AS batch(code, phone)
                    ON CONFLICT DO NOTHING
                    RETURNING id, code, phone, created_at
                    """,
                    logger: logger, { try Self.link($0, campaign: campaign, numbers: numbers) }
                )
                for link in inserted { found[link.phone.e164] = link }
                let skipped = missing.filter { found[$0] == nil }
                guard !skipped.isEmpty else { break }
                // This statement sees every batch committed before it: the codes they issued.
                let existing = try await connection.all(
                    """
                    SELECT links.id, links.code, links.phone, links.created_at
                    FROM links JOIN unnest(\(skipped)::text[]) AS batch(phone) ON links.phone = batch.phone
                    WHERE links.campaign_id = \(campaign.id)
                    """,
                    logger: logger, { try Self.link($0, campaign: campaign, numbers: numbers) }
                )
                for link in existing { found[link.phone.e164] = link }
                // What is left drew a code another link has (about once in 2^50 / issued codes):
                // those numbers draw again.
                missing = skipped.filter { found[$0] == nil }
            }
            return found
        }
        return phones.compactMap { issued[$0.e164] }
    }

    public func link(code: String) async throws -> Link? {
        try await read { connection in try await Self.link(connection, code: code, logger: logger) }
    }

    static func link(_ connection: PostgresConnection, code: String, logger: Logger) async throws -> Link? {
        try await connection.first(
            """
            SELECT links.*, campaigns.ref AS campaign_ref FROM links
            JOIN campaigns ON campaigns.id = links.campaign_id WHERE links.code = \(code)
            """,
            logger: logger
        ) { row in
            Link(
                id: try row.value("id"), code: try row.value("code"), companyID: try row.value("company_id"),
                campaignID: try row.value("campaign_id"), campaignRef: try row.value("campaign_ref"),
                phone: PhoneNumber(trustedE164: try row.value("phone")), createdAt: try row.date("created_at")
            )
        }
    }

    /// A link row of `campaign` (`id`, `code`, `phone`, `created_at`), with the number as it was asked for.
    private static func link(_ row: PostgresRandomAccessRow, campaign: Campaign, numbers: [String: PhoneNumber]) throws -> Link {
        let phone: String = try row.value("phone")
        return Link(
            id: try row.value("id"), code: try row.value("code"), companyID: campaign.companyID, campaignID: campaign.id,
            campaignRef: campaign.ref, phone: numbers[phone] ?? PhoneNumber(trustedE164: phone), createdAt: try row.date("created_at")
        )
    }
}

/// Row decoders other parts share.
extension PostgresStore {
    /// A `campaigns` row (every column of the table, read by name).
    static func campaign(_ row: PostgresRandomAccessRow) throws -> Campaign {
        Campaign(
            id: try row.value("id"), companyID: try row.value("company_id"), ref: try row.value("ref"), name: try row.value("name"),
            purpose: try decode(Purpose.self, try row.value("purpose"), column: "campaigns.purpose"), createdAt: try row.date("created_at")
        )
    }
}
