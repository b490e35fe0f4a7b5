import Foundation
import GRDB
import PostgresNIO
import StoplinkCore
@testable import StoplinkStore
import StoplinkTesting
import Testing

@Suite("Copying an installation between SQLite and PostgreSQL")
struct StoreCopyTests {
    /// A SQLite installation with a bit of everything: links, opt-outs with reasons, an opt-in,
    /// a webhook endpoint with pending deliveries, users, a key, queued emails, visits, audit.
    func populated(_ store: SQLiteStore) async throws -> String {
        let (company, campaign) = try await store.acmeWithCampaign()
        let links = try await store.issueLinks(campaign: campaign, phones: try (0..<300).map(Sample.phone), codeLength: 10, at: Sample.now)
        _ = try await store.createEndpoint(companyID: company.id, url: "https://hooks.example/in", description: "crm", eventTypes: [], at: Sample.now)
        _ = try await store.setEmailRecipient(companyID: company.id, address: "Ops@Example.com", forward: true, digest: true, at: Sample.now)
        for index in 0..<40 {
            _ = try await store.recordOptOut(Sample.optOut(company, try Sample.phone(index), campaign: campaign, at: Sample.now + Double(index)))
        }
        _ = try await store.recordOptIn(companyID: company.id, phone: try Sample.phone(3), source: .api, evidence: "asked", at: Sample.now + 100)
        try await store.recordVisits(links.prefix(20).map { Visit(linkID: $0.id, kind: .human, visitor: "v\($0.id)", at: Sample.now) })
        let owner = try await store.createUser(companyID: company.id, email: "Owner@Acme.example", role: .owner, passwordHash: "x", at: Sample.now)
        _ = try await store.createKey(companyID: company.id, name: "crm", at: Sample.now)
        try await store.recordAudit(AuditEntry(companyID: company.id, userID: owner.id, userEmail: owner.email, action: "key.create", detail: "crm", at: Sample.now))
        _ = try await store.setting("secret") { "s3cret-value-0123456789" }
        return company.id
    }

    /// Every row of every copied table, in key order, as text.
    func dump(_ path: String) throws -> [String: [String]] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var tables: [String: [String]] = [:]
            for table in StoreCopy.tables {
                tables[table.name] = try Row.fetchAll(db, sql: "SELECT \(table.columnList) FROM \(table.name) ORDER BY \(table.keyList)")
                    .map { $0.description }
            }
            return tables
        }
    }

    @Test("SQLite to PostgreSQL and back keeps every row of every table, and PostgreSQL goes on numbering after the copied rows")
    func roundTrip() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let sourcePath = folder.url.appendingPathComponent("a.sqlite").path
        let backPath = folder.url.appendingPathComponent("b.sqlite").path
        let source = try SQLiteStore.open(path: sourcePath)
        let companyID = try await populated(source)
        let (postgres, cleanup) = try await PostgresTestDatabase.makeStore()
        do {
            let there = try await StoreCopy.run(from: source, named: "a", to: postgres, batchSize: 7)
            #expect(there.first { $0.table == "consent_events" }?.total == 41)
            #expect(there.first { $0.table == "webhook_deliveries" }?.total == 41)
            let back = try SQLiteStore.open(path: backPath)
            _ = try await StoreCopy.run(from: postgres, named: "pg", to: back)
            try back.close()
            try source.close()
            #expect(try dump(sourcePath) == dump(backPath))

            // The copy's feed and identities continue where the source stopped.
            let head = try await postgres.client.withConnection { connection in
                try await connection.scalar("SELECT feed_head FROM companies WHERE id = \(companyID)", as: Int64.self, logger: postgres.logger)
            }
            #expect(head == 41)
            let nextVisit = try await postgres.client.withConnection { connection in
                try await connection.scalar(
                    "INSERT INTO visits (link_id, kind, visitor, at) SELECT MIN(id), 'bot', 'x', 0 FROM links RETURNING id",
                    as: Int64.self, logger: postgres.logger
                )
            }
            #expect(nextVisit == 21)
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    @Test("A copy that stopped half-way resumes with the same source; another source or a used target is refused")
    func resumes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let source = try SQLiteStore.open(path: folder.url.appendingPathComponent("a.sqlite").path)
        _ = try await populated(source)
        let other = try SQLiteStore.open(path: folder.url.appendingPathComponent("other.sqlite").path)
        let (postgres, cleanup) = try await PostgresTestDatabase.makeStore()
        do {
            _ = try await StoreCopy.run(from: source, named: "a", to: postgres)
            // As if the first copy had stopped after the links: later tables empty, the marker still set.
            try await postgres.client.withConnection { connection in
                for table in StoreCopy.tables.reversed() {
                    if ["settings", "companies", "campaigns", "links"].contains(table.name) { break }
                    try await connection.execute(PostgresQuery(unsafeSQL: "DELETE FROM \(table.name)"), logger: postgres.logger)
                }
                try await connection.execute(
                    "INSERT INTO settings (key, value) VALUES (\(StoreCopy.marker), 'a')", logger: postgres.logger
                )
            }
            await #expect(throws: CopyError.self) { try await StoreCopy.run(from: other, named: "other", to: postgres) }
            let resumed = try await StoreCopy.run(from: source, named: "a", to: postgres)
            #expect(resumed.first { $0.table == "links" }?.copied == 0)
            #expect(resumed.first { $0.table == "consent_events" }?.copied == 41)
            let marker = try await postgres.client.withConnection { connection in
                try await connection.scalar("SELECT value FROM settings WHERE key = \(StoreCopy.marker)", as: String.self, logger: postgres.logger)
            }
            #expect(marker == nil)
            // Finished: the target now holds companies and no marker, so a second copy is refused.
            await #expect(throws: CopyError.self) { try await StoreCopy.run(from: source, named: "a", to: postgres) }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }
}
