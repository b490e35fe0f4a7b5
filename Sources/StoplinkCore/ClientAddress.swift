import Foundation

/// Who a request comes from, for abuse limits. The peer's address, unless the peer is a proxy
/// the operator trusts (`--trusted-proxy`): then `X-Forwarded-For`, read from the right, where
/// each trusted proxy appended the address it saw; the first one that is not a trusted proxy is
/// the client. Entries left of it were written by the client and are never believed.
public struct TrustedProxies: Sendable {
    let blocks: [NetworkAddress.Block]

    /// Addresses (`10.0.0.5`, `::1`) or networks (`10.0.0.0/8`, `fd00::/8`).
    public init(parsing entries: [String]) throws(TrustedProxyError) {
        var blocks: [NetworkAddress.Block] = []
        for entry in entries.map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if !entry.contains("/"), let bytes = ClientAddress.bytes(of: entry) {
                blocks.append(NetworkAddress.Block(network: bytes, length: bytes.count * 8, name: "trusted proxy"))
            } else if entry.contains("/"), let block = NetworkAddress.Block(entry, "trusted proxy") {
                blocks.append(block)
            } else {
                throw TrustedProxyError(entry: entry)
            }
        }
        self.blocks = blocks
    }

    public static let none = TrustedProxies(blocks: [])

    init(blocks: [NetworkAddress.Block]) {
        self.blocks = blocks
    }

    public var isEmpty: Bool { blocks.isEmpty }

    public func contains(_ address: String) -> Bool {
        guard let bytes = ClientAddress.bytes(of: address) else { return false }
        return blocks.contains { $0.contains(bytes) }
    }

    /// The client behind `peer`; `forwardedFor` holds every `X-Forwarded-For` field in order.
    /// nil when there is no peer address (a test channel).
    public func client(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer else { return nil }
        guard contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { ClientAddress.strip(String($0)) }
        guard !hops.isEmpty else { return peer }
        for hop in hops.reversed() where !contains(hop) {
            return hop
        }
        // Every hop is a proxy of ours: the first one is as close to the client as we can tell.
        return hops[0]
    }
}

public struct TrustedProxyError: Error, CustomStringConvertible {
    public var entry: String
    public var description: String {
        "--trusted-proxy must be an IP address or a network such as 10.0.0.0/8, not '\(entry)'"
    }
}

/// The key a client's allowance is kept under.
public enum ClientAddress {
    /// An IPv4 address as written; an IPv6 address by its /64 network, which one subscriber
    /// usually holds whole (so walking through its addresses does not evade a limit); an
    /// IPv4-mapped IPv6 address as its IPv4 address. Text that is no address stays as it is.
    public static func limitKey(_ address: String) -> String {
        guard let bytes = bytes(of: address) else { return address }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    /// 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6.
    static func bytes(of address: String) -> [UInt8]? {
        let text = strip(address)
        if let v4 = NetworkAddress.ipv4(text) { return v4 }
        guard let v6 = NetworkAddress.ipv6(text) else { return nil }
        if NetworkAddress.Block.ipv4Mapped.contains(v6) { return Array(v6[12...]) }
        return v6
    }

    /// Drops spaces, brackets and a port: `[::1]:443` → `::1`, `1.2.3.4:80` → `1.2.3.4`.
    static func strip(_ text: String) -> String {
        var value = Substring(text.trimmingCharacters(in: .whitespaces))
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            return String(value[value.index(after: value.startIndex)..<close])
        }
        if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") { value = value[..<colon] }
        return String(value)
    }
}
