import Foundation

/// Where and how mail is sent, from `--smtp-url`:
/// `smtp://user:pass@host:port` (port 25 unless given; STARTTLS when the server offers it,
/// `?starttls=require` to refuse a server that does not) or `smtps://...` (TLS from the first
/// byte, port 465 unless given). `?tls_verify=false` accepts any certificate: for tests
/// against a local server with a self-signed one only.
public struct SMTPSettings: Equatable, Sendable {
    public enum Security: String, Equatable, Sendable {
        /// STARTTLS when offered, plain text otherwise.
        case opportunistic
        /// STARTTLS or fail.
        case requireStartTLS
        /// TLS from the start (smtps).
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var verifyCertificate: Bool

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil, verifyCertificate: Bool = true) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.verifyCertificate = verifyCertificate
    }

    /// The URL without its password, for logs and messages.
    public var redacted: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let user = username.map { "\($0):***@" } ?? ""
        return "\(scheme)://\(user)\(host):\(port)"
    }

    public static func parse(_ text: String) throws(SMTPURLProblem) -> SMTPSettings {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "smtp" || scheme == "smtps" else {
            throw SMTPURLProblem("--smtp-url must look like smtp://user:pass@host:port or smtps://user:pass@host:port")
        }
        guard let host = components.host, !host.isEmpty else { throw SMTPURLProblem("--smtp-url has no host") }
        let port = components.port ?? (scheme == "smtps" ? 465 : 25)
        guard (1...65535).contains(port) else { throw SMTPURLProblem("--smtp-url has a port outside 1-65535") }
        var security: Security = scheme == "smtps" ? .implicitTLS : .opportunistic
        var verify = true
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("starttls", "require") where scheme == "smtp": security = .requireStartTLS
            case ("starttls", "auto") where scheme == "smtp": security = .opportunistic
            case ("tls_verify", "false"): verify = false
            case ("tls_verify", "true"): verify = true
            default: throw SMTPURLProblem("--smtp-url has an unknown option \(item.name)=\(item.value ?? "")")
            }
        }
        // The user and password are percent-decoded: a password may hold '@' or ':' written as %40, %3A.
        let username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        if username != nil && password == nil { throw SMTPURLProblem("--smtp-url has a user but no password") }
        return SMTPSettings(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port, security: security,
            username: username, password: password, verifyCertificate: verify
        )
    }
}

/// Why `--smtp-url` cannot be used, said in words for the operator.
public struct SMTPURLProblem: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
