import Foundation
import StoplinkStore
import StoplinkCore

/// Everything `stoplink serve` is told from flags or `STOPLINK_*` variables.
public struct AppConfig: Sendable {
    public var host: String
    public var port: Int
    /// `sqlite:PATH` (or a bare path).
    public var database: String
    /// The base of every short link, without a trailing slash.
    public var publicURL: String
    /// Signs form tokens; generated and kept in the database when not given.
    public var secret: String?
    public var codeLength: Int
    /// The folder holding `Templates/` and `Public/`.
    public var resourcesDirectory: String
    /// Lets webhooks go to `http` and to loopback or private addresses (development and tests).
    public var allowInsecureWebhooks: Bool
    /// Abuse limits (`--limit-NAME`).
    public var rateLimits = RateLimits()
    /// Proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`).
    public var trustedProxies = TrustedProxies.none
    /// Serves `GET /metrics` to `Authorization: Bearer <token>`; nil: metrics are off.
    public var metricsToken: String?
    /// Timeouts for slow clients and the cap on connections served at once.
    public var connections = ConnectionLimits()
    /// After SIGTERM, how long requests in flight may take to finish before the rest is cancelled.
    public var shutdownTimeout: Duration = .seconds(10)
    /// bcrypt's cost (log2 rounds) for new dashboard password hashes (`--bcrypt-cost`); keep
    /// the default in production, tests go lower to run faster.
    public var bcryptCost = PasswordHasher.defaultCost
    /// `--smtp-url`: where email goes (`SMTPSettings`); nil: emails stay queued, unsent.
    public var smtpURL: String?
    /// `--smtp-from`: the sender address of every email.
    public var smtpFrom: String?
    /// `--email-digest-hour`: from this hour (UTC) on, each day's digest is queued.
    public var emailDigestHour = 7
    /// `--webhook-lease`: how long a process's claim on webhook deliveries lasts; after a
    /// process dies, the others take its claimed deliveries over once it ends.
    public var webhookLease: TimeInterval = WebhookDispatcher.defaultClaimLease

    public init(
        host: String = "127.0.0.1", port: Int = 8080, database: String = "sqlite:stoplink.sqlite",
        publicURL: String = "http://127.0.0.1:8080", secret: String? = nil, codeLength: Int = ShortCode.defaultLength,
        resourcesDirectory: String = FileManager.default.currentDirectoryPath, allowInsecureWebhooks: Bool = false
    ) {
        self.allowInsecureWebhooks = allowInsecureWebhooks
        self.host = host
        self.port = port
        self.database = database
        self.publicURL = publicURL
        self.secret = secret
        self.codeLength = codeLength
        self.resourcesDirectory = resourcesDirectory
    }

    /// Every problem with the settings at once, so a start-up fails with one complete message.
    /// `serving`: also check what only the server uses (address, port, templates).
    public func problems(serving: Bool = true) -> [String] {
        var problems: [String] = []
        if serving {
            if !(1...65535).contains(port) { problems.append("--port must be 1–65535, not \(port)") }
            if host.isEmpty { problems.append("--host must not be empty") }
            problems += connections.problems()
            if shutdownTimeout <= .zero { problems.append("--shutdown-timeout must be more than 0 seconds") }
        }
        if let url = URL(string: publicURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil {
            if publicURL.hasSuffix("/") { problems.append("--public-url must not end with '/'") }
        } else {
            problems.append("--public-url must be an http(s) URL such as https://stp.example, not '\(publicURL)'")
        }
        if !ShortCode.allowedLengths.contains(codeLength) { problems.append("--code-length must be 8–16, not \(codeLength)") }
        if let secret, secret.utf8.count < 16 { problems.append("--secret must be at least 16 characters") }
        if !PasswordHasher.allowedCosts.contains(bcryptCost) {
            problems.append("--bcrypt-cost must be \(PasswordHasher.allowedCosts.lowerBound)–\(PasswordHasher.allowedCosts.upperBound), not \(bcryptCost)")
        }
        if !PasswordHasher.allowedCosts.contains(bcryptCost) {
            let costs = PasswordHasher.allowedCosts
            problems.append("--bcrypt-cost must be \(costs.lowerBound)–\(costs.upperBound), not \(bcryptCost)")
        }
        if let metricsToken, metricsToken.utf8.count < 16 { problems.append("--metrics-token must be at least 16 characters") }
        if let smtpURL {
            do {
                _ = try SMTPSettings.parse(smtpURL)
            } catch {
                problems.append(error.description)
            }
            if let smtpFrom {
                if !EmailAddress.isValid(smtpFrom) { problems.append("--smtp-from must be a plain address such as stoplink@example.com") }
            } else {
                problems.append("--smtp-url needs --smtp-from (or STOPLINK_SMTP_FROM), the sender address")
            }
        }
        // A round sends for up to 10 s and a request may take 15 s more: a shorter lease would
        // let another process claim a line that is still being sent.
        if !(30...3600).contains(webhookLease) { problems.append("--webhook-lease must be 30–3600 seconds, not \(Int(webhookLease))") }
        if !(0...23).contains(emailDigestHour) { problems.append("--email-digest-hour must be 0–23, not \(emailDigestHour)") }
        if PostgresURL.isPostgres(database) {
            do { _ = try PostgresURL(database) } catch { problems.append("--database: \(error)") }
        } else if Self.sqlitePath(database) == nil {
            problems.append("--database must be sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB, not '\(database)'")
        }
        guard serving else { return problems }
        var isDirectory: ObjCBool = false
        let templates = URL(fileURLWithPath: resourcesDirectory).appendingPathComponent("Templates").path
        if !FileManager.default.fileExists(atPath: templates, isDirectory: &isDirectory) || !isDirectory.boolValue {
            problems.append("no Templates/ folder in \(resourcesDirectory): run from the Stoplink folder or set --resources")
        }
        return problems
    }

    /// The file path of a SQLite database URL: `sqlite:PATH`, `sqlite://PATH`, or a bare path.
    public static func sqlitePath(_ database: String) -> String? {
        if database.hasPrefix("postgres:") || database.hasPrefix("postgresql:") { return nil }
        var path = database
        if path.hasPrefix("sqlite://") {
            path.removeFirst("sqlite://".count)
        } else if path.hasPrefix("sqlite:") {
            path.removeFirst("sqlite:".count)
        } else if path.contains("://") {
            return nil
        }
        return path.isEmpty ? nil : path
    }

    /// The SMTP server, when `--smtp-url` is set and valid.
    public var smtp: SMTPSettings? { smtpURL.flatMap { try? SMTPSettings.parse($0) } }

    /// The short link of a code.
    public func url(of code: String) -> String { "\(publicURL)/\(code)" }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public var problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        "Stoplink cannot start:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
