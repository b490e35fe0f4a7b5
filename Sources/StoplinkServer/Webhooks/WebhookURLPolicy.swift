import Foundation
import NIOPosix
import StoplinkCore

#if canImport(Glibc)
import Glibc
#endif

/// Where webhooks may go: `https` to public addresses. With `--allow-insecure-webhooks`
/// (development, tests) also private and loopback addresses, and `http` to loopback.
/// Checked when an endpoint is saved and again before every send (its DNS may change).
struct WebhookURLPolicy: Sendable {
    let allowInsecure: Bool

    /// Why `url` may not receive webhooks, or nil when it may.
    func problem(with url: String) async -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            return "not an absolute URL"
        }
        if components.user != nil || components.password != nil { return "the URL must not carry a user name or password" }
        guard scheme == "https" || (scheme == "http" && allowInsecure) else {
            return allowInsecure ? "the URL must be https (or http to loopback)" : "the URL must be https"
        }
        let hostname = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let addresses = await Self.resolve(hostname)
        if addresses.isEmpty { return "the host \(hostname) does not resolve" }
        if scheme == "http", !addresses.allSatisfy(NetworkAddress.isLoopback) {
            return "http is allowed to loopback addresses only"
        }
        if !allowInsecure, addresses.contains(where: NetworkAddress.isInternal) {
            return "the host resolves to a private, loopback, link-local or metadata address"
        }
        return nil
    }

    /// Every address `host` resolves to, looked up off the event loops.
    static func resolve(_ host: String) async -> [String] {
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
