import Foundation
import NIOPosix
import StoplinkCore

#if canImport(Glibc)
import Glibc
#endif

/// Where webhooks may go: `https` to public addresses. With `--allow-insecure-webhooks`
/// (development, tests) also private and loopback addresses, and `http` to loopback.
/// Checked when an endpoint is saved and again before every round of sends (its DNS may change);
/// a send then connects to the address that was checked, never to a second lookup's answer.
struct WebhookURLPolicy: Sendable {
    /// Every address a host name has, as text (getaddrinfo in production, a table in tests).
    typealias Resolver = @Sendable (String) async -> [String]

    /// Where a request may go: the URL's host, and the checked address to connect to instead of
    /// looking the host up again.
    struct Destination: Sendable, Equatable {
        var host: String
        var address: String
    }

    enum Verdict: Sendable, Equatable {
        case allowed(Destination)
        case refused(String)
    }

    let allowInsecure: Bool
    let resolve: Resolver

    init(allowInsecure: Bool, resolve: @escaping Resolver = WebhookURLPolicy.systemResolve) {
        self.allowInsecure = allowInsecure
        self.resolve = resolve
    }

    static let maximumURLLength = 2_000

    /// Why `url` may not receive webhooks, or nil when it may: what an endpoint is checked
    /// against when it is saved, through the API or the dashboard.
    func problem(with url: String) async -> String? {
        guard url.count <= Self.maximumURLLength else { return "at most 2,000 characters" }
        if case .refused(let problem) = await check(url) { return problem }
        return nil
    }

    /// Resolves the host once and checks every address it has; the first becomes the destination.
    func check(_ url: String) async -> Verdict {
        // The host is read the way the HTTP client reads it, so the pinned address is the one it uses.
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host, !host.isEmpty else {
            return .refused("not an absolute URL")
        }
        if parsed.user != nil || parsed.password != nil { return .refused("the URL must not carry a user name or password") }
        guard scheme == "https" || (scheme == "http" && allowInsecure) else {
            return .refused(allowInsecure ? "the URL must be https (or http to loopback)" : "the URL must be https")
        }
        let hostname = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = await resolve(hostname)
        guard let first = addresses.first else { return .refused("the host \(hostname) does not resolve") }
        if scheme == "http", !addresses.allSatisfy(NetworkAddress.isLoopback) {
            return .refused("http is allowed to loopback addresses only")
        }
        if !allowInsecure {
            for address in addresses {
                if let range = NetworkAddress.specialPurposeRange(of: address) {
                    return .refused("the host resolves to \(address), a special-purpose address (\(range))")
                }
            }
        }
        return .allowed(Destination(host: hostname, address: first))
    }

    /// Every address `host` resolves to, looked up off the event loops.
    static func systemResolve(_ host: String) async -> [String] {
        (try? await NIOThreadPool.singleton.runIfActive { lookUp(host) }) ?? []
    }

    private static func lookUp(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(cString: buffer))
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}
