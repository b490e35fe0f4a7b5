import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import StoplinkTesting
import Synchronization
import Testing

/// A clock the test moves by hand.
final class ManualClock: WallClock {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    func now() -> Date { current.withLock { $0 } }

    func advance(by interval: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(interval) }
    }
}

/// Which database a fixture runs on.
enum TestDatabase: Sendable {
    /// SQLite, or PostgreSQL when `STOPLINK_TEST_DATABASE=postgres` (`scripts/test` runs the
    /// route tests once more that way, on a fresh database per test).
    case configured
    /// Always a SQLite file: for tests about the file itself.
    case sqlite

    var isPostgres: Bool {
        self == .configured && ProcessInfo.processInfo.environment["STOPLINK_TEST_DATABASE"] == "postgres"
    }
}

/// A real database (a SQLite file in a fresh folder, or a fresh PostgreSQL database; removed when
/// the fixture goes), the real templates, a company (NL, Dutch numbers) with one campaign and
/// one link for +31612345678. Everything the server logs is kept in `logs`; the webhook
/// dispatcher runs only when a test calls `runOnce`.
final class Fixture: Sendable {
    static let phone = "+31612345678"
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    let folder: URL
    let store: any Store
    /// Stops a PostgreSQL store's pool and drops its database.
    private let cleanup: (@Sendable () async -> Void)?
    let clock: ManualClock
    let config: AppConfig
    let dependencies: AppDependencies
    let company: Company
    let campaign: Campaign
    let link: StoplinkStore.Link
    let logs = CapturedLogs()

    /// `configure` changes the settings before the application is built (limits, proxies, metrics).
    init(
        defaultLanguage: String = "en", optOutScope: OptOutScope = .marketing, database: TestDatabase = .configured,
        configure: (inout AppConfig) -> Void = { _ in }
    ) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("stoplink-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let databaseURL: String
        if database.isPostgres {
            let (postgres, drop) = try await PostgresTestDatabase.makeStore(poolSize: 4)
            store = postgres
            cleanup = drop
            databaseURL = postgres.url.redacted
        } else {
            store = try SQLiteStore.open(path: folder.appendingPathComponent("stoplink.sqlite").path)
            cleanup = nil
            databaseURL = "sqlite:" + folder.appendingPathComponent("stoplink.sqlite").path
        }
        clock = ManualClock()
        var config = AppConfig(
            database: databaseURL, publicURL: "https://stp.example", resourcesDirectory: Self.packageRoot, allowInsecureWebhooks: true
        )
        // HummingbirdTesting's live client opens its one connection before the test's first
        // request and keeps it between requests; on a busy machine a test can be off the CPU for
        // longer than the server's 10 s header and 30 s idle timeouts, which then close that
        // connection under the test ("I/O on closed channel"). Tests of those timeouts set them.
        config.connections.headerTimeout = .seconds(3600)
        config.connections.idleTimeout = .seconds(3600)
        configure(&config)
        self.config = config
        let logger = logs.logger()
        var dependencies = try await AppDependencies.make(config: config, store: store, clock: clock, logger: logger)
        dependencies.webhooks = WebhookDispatcher(
            store: store, clock: clock, allowInsecure: true, eventIDs: dependencies.webhooks.eventIDs, logger: logger, pollInterval: nil,
            metrics: dependencies.metrics
        )
        self.dependencies = dependencies
        var company = try await store.createCompany(name: "Acme", defaultCountry: "NL", defaultLanguage: defaultLanguage, at: clock.now())
        company.optOutScope = optOutScope
        try await store.updateCompany(company)
        self.company = company
        campaign = try await store.createCampaign(
            companyID: company.id, ref: "spring-sale", name: "Spring sale", purpose: .marketing, at: clock.now()
        )
        link = try #require(try await store.issueLinks(
            campaign: campaign, phones: [PhoneNumber(trustedE164: Self.phone)], codeLength: 10, at: clock.now()
        ).first)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
        if let cleanup { Task { await cleanup() } }
    }

    func application() -> some ApplicationProtocol {
        buildApplication(config: config, dependencies: dependencies, logger: logs.logger())
    }

    func history() async throws -> [ConsentEvent] {
        try await store.history(companyID: company.id, phone: link.phone)
    }
}

/// Requests a test makes, written once.
extension TestClientProtocol {
    /// Opens the page as a phone's browser would and returns the response.
    func open(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields: HTTPFields = [.userAgent: Browser.iPhone, .acceptLanguage: "en"]
        for field in headers { fields[field.name] = field.value }
        return try await execute(uri: path, method: .get, headers: fields)
    }

    /// Posts the form with the given fields, as a same-origin browser would.
    func post(_ path: String, fields: [(String, String)], headers: HTTPFields = [:]) async throws -> TestResponse {
        var all: HTTPFields = [
            .contentType: "application/x-www-form-urlencoded", .userAgent: Browser.iPhone,
            .secFetchSite: "same-origin", .origin: "https://stp.example",
        ]
        for field in headers { all[field.name] = field.value }
        return try await execute(uri: path, method: .post, headers: all, body: ByteBuffer(string: formEncode(fields)))
    }

    /// Opens the page, reads the token from its form, and posts `phone` with the other fields.
    func optOut(
        code: String, phone: String, reason: String? = nil, reasonText: String? = nil, query: String = ""
    ) async throws -> TestResponse {
        let page = try await open("/\(code)\(query)")
        let token = try #require(formToken(in: page))
        var fields = [("token", token), ("phone", phone)]
        if let reason { fields.append(("reason", reason)) }
        if let reasonText { fields.append(("reason_text", reasonText)) }
        return try await post("/\(code)\(query)", fields: fields)
    }
}

enum Browser {
    static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
}

func text(_ response: TestResponse) -> String {
    String(buffer: response.body)
}

/// The value of the hidden `token` field of a rendered form.
func formToken(in response: TestResponse) -> String? {
    let html = text(response)
    guard let start = html.range(of: "name=\"token\" value=\"") else { return nil }
    let rest = html[start.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return String(rest[..<end])
}

func formEncode(_ fields: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map { name, value in
        "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
    }.joined(separator: "&")
}
