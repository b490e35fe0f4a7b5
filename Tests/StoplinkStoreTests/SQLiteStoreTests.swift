import Foundation
import GRDB
import StoplinkCore
import Testing
@testable import StoplinkStore

/// A directory of its own for each test's database file, removed when the test ends.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("stoplink-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var databasePath: String { url.appendingPathComponent("stoplink.sqlite").path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

@Suite("SQLite store (real file)")
struct SQLiteStoreTests {
    let directory: TemporaryDirectory
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    init() throws {
        directory = try TemporaryDirectory()
    }

    func openStore() throws -> SQLiteStore {
        try SQLiteStore.open(path: directory.databasePath)
    }

    func phone(_ text: String) throws -> PhoneNumber {
        try PhoneNumber(parsing: text, defaultRegion: nil)
    }

    /// A store with one company and one marketing campaign `spring-sale`.
    func storeWithCampaign() async throws -> (SQLiteStore, Company, Campaign) {
        let store = try openStore()
        let company = try await store.createCompany(name: "Acme", defaultCountry: "nl", defaultLanguage: "nl", at: now)
        let campaign = try await store.createCampaign(
            companyID: company.id, ref: "spring-sale", name: "Spring sale", purpose: .marketing, at: now
        )
        return (store, company, campaign)
    }

    func optOut(_ company: Company, _ phone: PhoneNumber, scope: OptOutScope = .marketing, campaign: Campaign? = nil, at date: Date) -> OptOutRequest {
        OptOutRequest(
            companyID: company.id, phone: phone, scope: scope, source: .link, campaignID: campaign?.id,
            reason: "too_many", reasonText: "Too many messages", rawText: nil, occurredAt: date
        )
    }

    // MARK: Companies and campaigns

    @Test("a company and a campaign are created in a real file and read back")
    func createCompanyAndCampaign() async throws {
        let store = try openStore()

        let company = try await store.createCompany(name: "Acme", defaultCountry: "nl", defaultLanguage: "nl", at: now)
        let campaign = try await store.createCampaign(
            companyID: company.id, ref: "spring-sale", name: "Spring sale", purpose: .marketing, at: now
        )

        #expect(FileManager.default.fileExists(atPath: directory.databasePath))
        #expect(company.defaultCountry == "NL")
        #expect(company.id.hasPrefix("co_"))
        #expect(try await store.company(id: company.id) == company)
        #expect(try await store.companyCount() == 1)
        #expect(try await store.campaign(companyID: company.id, ref: "spring-sale") == campaign)
        #expect(try await store.campaign(companyID: company.id, ref: "summer-sale") == nil)
        #expect(try await store.company(id: "co_missing") == nil)
    }

    @Test("a campaign ref used twice at one company is refused")
    func campaignExists() async throws {
        let (store, company, _) = try await storeWithCampaign()

        await #expect(throws: StoreError.campaignExists("spring-sale")) {
            try await store.createCampaign(companyID: company.id, ref: "spring-sale", name: "Again", purpose: .marketing, at: now)
        }
    }

    @Test("the same campaign ref at another company is fine")
    func campaignRefPerCompany() async throws {
        let (store, _, campaign) = try await storeWithCampaign()
        let other = try await store.createCompany(name: "Globex", defaultCountry: "DE", defaultLanguage: "de", at: now)

        let second = try await store.createCampaign(companyID: other.id, ref: "spring-sale", name: "Spring", purpose: .informational, at: now)

        #expect(second.id != campaign.id)
        #expect(try await store.campaign(companyID: other.id, ref: "spring-sale")?.purpose == .informational)
    }

    @Test("a campaign for an unknown company is refused")
    func campaignForUnknownCompany() async throws {
        let store = try openStore()

        await #expect(throws: StoreError.companyNotFound("co_missing")) {
            try await store.createCampaign(companyID: "co_missing", ref: "x", name: "x", purpose: .marketing, at: now)
        }
    }

    // MARK: Links

    @Test("issued links come back in input order with distinct, well-formed codes")
    func issueLinks() async throws {
        let (store, company, campaign) = try await storeWithCampaign()
        let phones = try ["+31612345678", "+31612345679", "+4915123456789"].map(phone)

        let links = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: now)

        #expect(links.map(\.phone) == phones)
        #expect(Set(links.map(\.code)).count == 3)
        #expect(Set(links.map(\.id)).count == 3)
        for link in links {
            #expect(link.code.count == 10)
            #expect(ShortCode.normalise(link.code) == link.code)
            #expect(link.companyID == company.id)
            #expect(link.campaignID == campaign.id)
            #expect(link.campaignRef == "spring-sale")
        }
    }

    @Test("the code length asked for is used")
    func codeLength() async throws {
        let (store, _, campaign) = try await storeWithCampaign()
        let phones = try [phone("+31612345678")]

        let links = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 16, at: now)

        #expect(links.first?.code.count == 16)
    }

    @Test("issuing again for the same numbers returns the same codes, in the new order")
    func reissueIsIdempotent() async throws {
        let (store, _, campaign) = try await storeWithCampaign()
        let phones = try ["+31612345678", "+31612345679", "+31612345670"].map(phone)
        let first = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: now)
        let codeOf = Dictionary(uniqueKeysWithValues: first.map { ($0.phone, $0.code) })

        let again = try await store.issueLinks(
            campaign: campaign, phones: [phones[2], phones[0], phones[1]], codeLength: 10, at: now.addingTimeInterval(3600)
        )

        #expect(again.map(\.phone) == [phones[2], phones[0], phones[1]])
        #expect(again.map(\.code) == again.map { codeOf[$0.phone] })
        #expect(again.allSatisfy { $0.createdAt == now })
    }

    @Test("a number twice in one batch gets one code")
    func duplicatesInBatch() async throws {
        let (store, _, campaign) = try await storeWithCampaign()
        let a = try phone("+31612345678")
        let b = try phone("+31612345679")

        let links = try await store.issueLinks(campaign: campaign, phones: [a, b, a, a], codeLength: 10, at: now)

        #expect(links.count == 4)
        #expect(links[0] == links[2])
        #expect(links[0] == links[3])
        #expect(links[0].code != links[1].code)
    }

    @Test("the same number in another campaign gets another code")
    func otherCampaignOtherCode() async throws {
        let (store, company, spring) = try await storeWithCampaign()
        let summer = try await store.createCampaign(companyID: company.id, ref: "summer-sale", name: "Summer", purpose: .marketing, at: now)
        let number = try phone("+31612345678")
        let springLink = try await store.issueLinks(campaign: spring, phones: [number], codeLength: 10, at: now)

        let summerLink = try await store.issueLinks(campaign: summer, phones: [number], codeLength: 10, at: now)

        #expect(summerLink[0].code != springLink[0].code)
        #expect(try await store.link(code: summerLink[0].code)?.campaignRef == "summer-sale")
    }

    @Test("a link is found by its code, with its campaign's ref")
    func linkByCode() async throws {
        let (store, company, campaign) = try await storeWithCampaign()
        let issued = try await store.issueLinks(campaign: campaign, phones: [phone("+31612345678")], codeLength: 10, at: now)

        let found = try await store.link(code: issued[0].code)

        #expect(found == issued[0])
        #expect(found?.campaignRef == "spring-sale")
        #expect(found?.companyID == company.id)
        #expect(found?.phone.e164 == "+31612345678")
    }

    @Test("an unknown code and the placeholder find nothing")
    func unknownCode() async throws {
        let (store, _, campaign) = try await storeWithCampaign()
        _ = try await store.issueLinks(campaign: campaign, phones: [phone("+31612345678")], codeLength: 10, at: now)

        let results = (try await store.link(code: ShortCode.placeholder), try await store.link(code: "0000000000"))

        #expect(results.0 == nil)
        #expect(results.1 == nil)
    }

    // MARK: Consent

    @Test("an opt-out writes one ledger row and the suppression")
    func recordOptOut() async throws {
        let (store, company, campaign) = try await storeWithCampaign()
        let number = try phone("+31612345678")

        let outcome = try await store.recordOptOut(optOut(company, number, campaign: campaign, at: now))

        guard case .recorded(let event) = outcome else {
            Issue.record("expected .recorded, got \(outcome)")
            return
        }
        #expect(event.action == .optOut)
        #expect(event.phone == number)
        #expect(event.scope == .marketing)
        #expect(event.source == .link)
        #expect(event.campaignRef == "spring-sale")
        #expect(event.reason == "too_many")
        #expect(event.reasonText == "Too many messages")
        #expect(event.occurredAt == now)
        #expect(try await store.history(companyID: company.id, phone: number) == [event])
        let suppression = try await store.suppression(companyID: company.id, phone: number)
        #expect(suppression == Suppression(
            companyID: company.id, phone: number, scope: .marketing, since: now, source: .link, campaignRef: "spring-sale"
        ))
    }

    @Test("a second identical opt-out writes nothing and says it was already done")
    func secondOptOutIsHarmless() async throws {
        let (store, company, campaign) = try await storeWithCampaign()
        let number = try phone("+31612345678")
        _ = try await store.recordOptOut(optOut(company, number, campaign: campaign, at: now))

        let second = try await store.recordOptOut(optOut(company, number, campaign: campaign, at: now.addingTimeInterval(60)))

        guard case .alreadyOptedOut(let suppression) = second else {
            Issue.record("expected .alreadyOptedOut, got \(second)")
            return
        }
        #expect(suppression.since == now)
        #expect(suppression.scope == .marketing)
        #expect(try await store.history(companyID: company.id, phone: number).count == 1)
    }

    @Test("marketing then all widens the scope with a second row; marketing after all writes nothing")
    func scopeUpgrade() async throws {
        let (store, company, _) = try await storeWithCampaign()
        let number = try phone("+31612345678")
        _ = try await store.recordOptOut(optOut(company, number, scope: .marketing, at: now))

        let widened = try await store.recordOptOut(optOut(company, number, scope: .all, at: now.addingTimeInterval(60)))
        let narrower = try await store.recordOptOut(optOut(company, number, scope: .marketing, at: now.addingTimeInterval(120)))

        guard case .recorded(let event) = widened else {
            Issue.record("expected .recorded, got \(widened)")
            return
        }
        #expect(event.scope == .all)
        guard case .alreadyOptedOut = narrower else {
            Issue.record("expected .alreadyOptedOut, got \(narrower)")
            return
        }
        let history = try await store.history(companyID: company.id, phone: number)
        #expect(history.map(\.scope) == [.marketing, .all])
        #expect(history[0].seq < history[1].seq)
        let suppression = try await store.suppression(companyID: company.id, phone: number)
        #expect(suppression?.scope == .all)
        #expect(suppression?.since == now.addingTimeInterval(60))
    }

    @Test("an opt-out at one company does not touch another company or another number")
    func optOutIsPerCompanyAndNumber() async throws {
        let (store, company, _) = try await storeWithCampaign()
        let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: now)
        let number = try phone("+31612345678")

        _ = try await store.recordOptOut(optOut(company, number, at: now))

        #expect(try await store.suppression(companyID: other.id, phone: number) == nil)
        #expect(try await store.history(companyID: other.id, phone: number).isEmpty)
        #expect(try await store.suppression(companyID: company.id, phone: phone("+31612345679")) == nil)
    }

    // MARK: Attempts and visits

    @Test("failed attempts are counted within the window")
    func failedAttempts() async throws {
        let (store, _, campaign) = try await storeWithCampaign()
        let links = try await store.issueLinks(
            campaign: campaign, phones: [phone("+31612345678"), phone("+31612345679")], codeLength: 10, at: now
        )
        let day: TimeInterval = 24 * 60 * 60
        let times = [now, now.addingTimeInterval(10 * 3600), now.addingTimeInterval(30 * 3600)]

        var counts: [Int] = []
        for time in times {
            counts.append(try await store.recordFailedAttempt(linkID: links[0].id, at: time, countingSince: time.addingTimeInterval(-day)))
        }

        // The first attempt is 30 hours old when the third is made, so it falls out of the window.
        #expect(counts == [1, 2, 2])
        #expect(try await store.failedAttempts(linkID: links[0].id, since: now.addingTimeInterval(-1)) == 3)
        #expect(try await store.failedAttempts(linkID: links[0].id, since: now.addingTimeInterval(20 * 3600)) == 1)
        #expect(try await store.failedAttempts(linkID: links[1].id, since: now.addingTimeInterval(-day)) == 0)
    }

    @Test("visits are counted as human, bot and unique humans, per link")
    func visits() async throws {
        let (store, _, campaign) = try await storeWithCampaign()
        let links = try await store.issueLinks(
            campaign: campaign, phones: [phone("+31612345678"), phone("+31612345679")], codeLength: 10, at: now
        )
        let id = links[0].id
        let visits = [
            Visit(linkID: id, kind: .bot, visitor: "preview", at: now),
            Visit(linkID: id, kind: .bot, visitor: "preview", at: now),
            Visit(linkID: id, kind: .human, visitor: "alice", at: now),
            Visit(linkID: id, kind: .human, visitor: "alice", at: now.addingTimeInterval(5)),
            Visit(linkID: id, kind: .human, visitor: "bob", at: now),
            Visit(linkID: id, kind: .bot, visitor: "bob", at: now),
            Visit(linkID: links[1].id, kind: .human, visitor: "carol", at: now),
        ]

        try await store.recordVisits(visits)
        try await store.recordVisits([])

        #expect(try await store.visitCounts(linkID: id) == VisitCounts(human: 3, bot: 3, uniqueHumans: 2))
        #expect(try await store.visitCounts(linkID: links[1].id) == VisitCounts(human: 1, bot: 0, uniqueHumans: 1))
        #expect(try await store.visitCounts(linkID: 9_999) == VisitCounts(human: 0, bot: 0, uniqueHumans: 0))
    }

    // MARK: Settings

    @Test("a setting keeps the first value stored")
    func settingOrInsert() async throws {
        let store = try openStore()

        let first = try await store.setting("signing-secret", orInsert: { "first" })
        let second = try await store.setting("signing-secret", orInsert: { "second" })
        let other = try await store.setting("other-key", orInsert: { "other" })

        #expect(first == "first")
        #expect(second == "first")
        #expect(other == "other")
    }

    // MARK: The file across restarts

    @Test("an opt-out survives closing and reopening the file")
    func reopenKeepsOptOut() async throws {
        let number = try phone("+31612345678")
        let companyID: String
        do {
            let (store, company, campaign) = try await storeWithCampaign()
            _ = try await store.recordOptOut(optOut(company, number, campaign: campaign, at: now))
            _ = try await store.setting("signing-secret", orInsert: { "kept" })
            companyID = company.id
        }

        let reopened = try openStore()

        let suppression = try await reopened.suppression(companyID: companyID, phone: number)
        #expect(suppression?.scope == .marketing)
        #expect(suppression?.campaignRef == "spring-sale")
        #expect(try await reopened.history(companyID: companyID, phone: number).count == 1)
        #expect(try await reopened.setting("signing-secret", orInsert: { "new" }) == "kept")
    }

    @Test("opening a migrated file again runs no migration twice and keeps the data")
    func migrationIsIdempotent() async throws {
        let schemaBefore: [String]
        do {
            let store = try openStore()
            _ = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: "nl", at: now)
            schemaBefore = try await Self.schema(of: store)
        }

        let reopened = try openStore()
        let again = try openStore()

        #expect(try await reopened.isMigrated())
        #expect(try await again.companyCount() == 1)
        #expect(try await Self.schema(of: again) == schemaBefore)
        let applied = try await reopened.writer.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        }
        #expect(applied.sorted() == SQLiteMigrations.migrator.migrations.sorted())
        #expect(applied.contains("001-recipient-flow"))
    }

    static func schema(of store: SQLiteStore) async throws -> [String] {
        try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        }
    }

    @Test("a new file is migrated on open and answers a ping")
    func freshFile() async throws {
        let path = directory.databasePath

        let store = try SQLiteStore.open(path: path)

        #expect(try await store.isMigrated())
        try await store.ping()
        #expect(try await store.companyCount() == 0)
    }
}
