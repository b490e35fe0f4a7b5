import Foundation
import StoplinkCore
import StoplinkStore
import StoplinkTesting
import Testing

/// How to get a fresh, migrated, empty store of one kind, and how to throw it away. The contract
/// suite runs every test once per factory; a PostgreSQL factory is one more entry in `all`.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () async throws -> (store: any Store, cleanup: @Sendable () async -> Void)

    var testDescription: String { name }

    static let all: [StoreFactory] = [.sqliteFile, .postgres]

    /// A real file through a connection pool, so parallel readers and writers really overlap.
    static let sqliteFile = StoreFactory(name: "SQLite file") {
        let directory = try TemporaryDirectory()
        do {
            let store = try SQLiteStore.open(path: directory.databasePath)
            // Closed first, so no connection writes its -wal or -shm file back into the folder.
            return (store, { try? store.close(); directory.remove() })
        } catch {
            directory.remove()
            throw error
        }
    }

    /// A fresh database on the PostgreSQL server the tests use (see `PostgresTestDatabase`),
    /// with a pool of several connections, so parallel writers really overlap.
    static let postgres = StoreFactory(name: "PostgreSQL") {
        let (store, cleanup) = try await PostgresTestDatabase.makeStore(poolSize: 8)
        return (store, cleanup)
    }

    /// Runs `body` on a fresh store and removes the store afterwards, also when `body` throws.
    func withStore<Result>(_ body: (any Store) async throws -> Result) async throws -> Result {
        let (store, cleanup) = try await make()
        do {
            let result = try await body(store)
            await cleanup()
            return result
        } catch {
            await cleanup()
            throw error
        }
    }
}

/// A folder of its own for one store's files, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("stoplink-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var databasePath: String { url.appendingPathComponent("stoplink.sqlite").path }

    @Sendable func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Values the contract tests share.
enum Sample {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let day: TimeInterval = 24 * 60 * 60
    /// How many tasks write at once in the parallel tests.
    static let writers = 16

    /// Runs `body` in `tasks` tasks at once (each given its index) and answers their results;
    /// on PostgreSQL each task runs on a connection of its own while the pool has one free.
    static func race<Value: Sendable>(
        _ tasks: Int = writers, _ body: @escaping @Sendable (Int) async throws -> Value
    ) async throws -> [Value] {
        try await withThrowingTaskGroup(of: Value.self) { group in
            for index in 0..<tasks { group.addTask { try await body(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    static func phone(_ text: String) throws -> PhoneNumber {
        try PhoneNumber(parsing: text, defaultRegion: nil)
    }

    /// The n-th of many distinct Dutch mobile numbers.
    static func phone(_ index: Int) throws -> PhoneNumber {
        try phone("+316" + String(format: "%08d", 10_000_000 + index))
    }

    static func optOut(
        _ company: Company, _ phone: PhoneNumber, scope: OptOutScope = .marketing, source: ConsentSource = .link,
        campaign: Campaign? = nil, at date: Date = now
    ) -> OptOutRequest {
        OptOutRequest(
            companyID: company.id, phone: phone, scope: scope, source: source, campaignID: campaign?.id,
            reason: "too_many", reasonText: "Too many messages", rawText: nil, occurredAt: date
        )
    }
}

extension Store {
    /// One company, Acme (NL), without campaigns: for what needs only a company.
    func acme() async throws -> Company {
        try await createCompany(name: "Acme", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
    }

    /// One company, Acme (NL), with one marketing campaign `spring-sale`.
    func acmeWithCampaign() async throws -> (Company, Campaign) {
        let company = try await createCompany(name: "Acme", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
        let campaign = try await createCampaign(
            companyID: company.id, ref: "spring-sale", name: "Spring sale", purpose: .marketing, at: Sample.now
        )
        return (company, campaign)
    }
}

extension OptOutOutcome {
    var recorded: ConsentEvent? {
        if case .recorded(let event) = self { event } else { nil }
    }
}
