import Foundation
import GRDB
import StoplinkCore

/// `LinkStore` on SQLite: campaigns and their links.
extension SQLiteStore {
    public func createCampaign(companyID: String, ref: String, name: String, purpose: Purpose, at: Date) async throws -> Campaign {
        try await write { db in
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

    public func campaigns(companyID: String) async throws -> [Campaign] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM campaigns WHERE company_id = ? ORDER BY created_at, id", arguments: [companyID]
            ).map(Self.campaign)
        }
    }

    public func issueLinks(campaign: Campaign, phones: [PhoneNumber], codeLength: Int, at: Date) async throws -> [Link] {
        let created = Millis.from(at)
        return try await yieldingWrite(count: phones.count) { db, start, mustYield in
            let find = try db.cachedStatement(sql: "SELECT id, code, created_at FROM links WHERE campaign_id = ? AND phone = ?")
            // New numbers, the common case, cost one statement: the insert is tried first and
            // only a conflict (a number already issued, or a code collision) is looked into.
            let insert = try db.cachedStatement(sql: """
                INSERT INTO links (code, company_id, campaign_id, phone, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """)
            // A number given twice gets its first link again (within this transaction from
            // here, after it through the conflict path below).
            var issued: [PhoneNumber: Link] = [:]
            var links: [Link] = []
            links.reserveCapacity(phones.count - start)
            for index in start..<phones.count {
                if index > start, (index - start) % Self.yieldingWriteStep == 0, mustYield() { return (links, index) }
                let phone = phones[index]
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
            return (links, phones.count)
        }.flatMap { $0 }
    }

    public func link(code: String) async throws -> Link? {
        try await writer.read { db in try Self.link(db, code: code) }
    }

    static func link(_ db: Database, code: String) throws -> Link? {
        try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT links.*, campaigns.ref AS campaign_ref FROM links
                JOIN campaigns ON campaigns.id = links.campaign_id WHERE links.code = ?
                """),
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
