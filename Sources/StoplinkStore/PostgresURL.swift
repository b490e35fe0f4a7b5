import Foundation

/// A `postgres://user:pass@host:port/db?sslmode=...&pool_size=N` URL, read strictly: a wrong
/// part is named in the error rather than guessed.
public struct PostgresURL: Sendable, Equatable {
    /// What TLS the connection asks for, as libpq's `sslmode` names it.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate.
        case prefer
        /// TLS always, without checking the certificate (libpq's `require`).
        case require
        /// TLS always, with the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// The most connections this process opens (`pool_size`, default 20).
    public var poolSize: Int

    /// Whether `text` names PostgreSQL rather than a SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(_ text: String) throws {
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw StoreError.invalidDatabaseURL("not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError.invalidDatabaseURL("the PostgreSQL URL names no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError.invalidDatabaseURL("the PostgreSQL URL names no user (postgres://USER:PASSWORD@HOST/DB)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError.invalidDatabaseURL("the PostgreSQL URL names no database (postgres://USER@HOST/DB)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = .prefer
        self.poolSize = 20
        for item in components.queryItems ?? [] where !item.name.isEmpty {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw StoreError.invalidDatabaseURL("sslmode must be one of \(known), not '\(item.value ?? "")'")
                }
                sslMode = mode
            case "pool_size":
                guard let value = item.value.flatMap(Int.init), (1...500).contains(value) else {
                    throw StoreError.invalidDatabaseURL("pool_size must be a whole number from 1 to 500, not '\(item.value ?? "")'")
                }
                poolSize = value
            default:
                throw StoreError.invalidDatabaseURL("unknown PostgreSQL URL parameter '\(item.name)' (known: sslmode, pool_size)")
            }
        }
    }

    /// The URL with the password replaced, for messages and logs.
    public var redacted: String {
        let credentials = password == nil ? user : "\(user):***"
        return "postgres://\(credentials)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)&pool_size=\(poolSize)"
    }
}
