/// Which IP addresses a webhook may be sent to: only addresses outside every IANA special-purpose
/// range (the IPv4 and IPv6 special-purpose address registries, plus multicast and IPv6 space
/// that is not global unicast). Development mode may still allow loopback and private networks.
public enum NetworkAddress {
    /// The name of the special-purpose range that holds `address` (IPv4 dotted or IPv6 text), or
    /// nil for an ordinary public address. Text that is not a plain address (a zone index, octal
    /// or hex IPv4 forms) is refused too: what cannot be read cannot be judged.
    public static func specialPurposeRange(of address: String) -> String? {
        if let v4 = ipv4(address) { return range(ofIPv4: v4) }
        guard let v6 = ipv6(address) else { return "an unreadable address" }
        return range(ofIPv6: v6)
    }

    /// Loopback only (127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6).
    public static func isLoopback(_ address: String) -> Bool {
        if let v4 = ipv4(address) { return v4[0] == 127 }
        guard let v6 = ipv6(address) else { return false }
        if v6 == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return Block.ipv4Mapped.contains(v6) && v6[12] == 127
    }

    /// A network written as `address/length`, with the name the registries give it.
    struct Block: Sendable {
        let network: [UInt8]
        let length: Int
        let name: String

        init(network: [UInt8], length: Int, name: String) {
            self.network = network
            self.length = length
            self.name = name
        }

        init?(_ cidr: String, _ name: String) {
            let parts = cidr.split(separator: "/")
            guard parts.count == 2, let length = Int(parts[1]),
                  let network = NetworkAddress.ipv4(String(parts[0])) ?? NetworkAddress.ipv6(String(parts[0])),
                  (0...network.count * 8).contains(length) else { return nil }
            self.network = network
            self.length = length
            self.name = name
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var remaining = length
            for (a, n) in zip(address, network) where remaining > 0 {
                let bits = min(remaining, 8)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != n & mask { return false }
                remaining -= bits
            }
            return true
        }

        static let ipv4Mapped = Block(network: [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 0, 0, 0, 0], length: 96, name: "IPv4-mapped")
        static let ipv4Compatible = Block(network: [UInt8](repeating: 0, count: 16), length: 96, name: "IPv4-compatible")
        static let sixToFour = Block(network: [0x20, 0x02] + [UInt8](repeating: 0, count: 14), length: 16, name: "6to4")
        static let globalUnicast = Block(network: [0x20] + [UInt8](repeating: 0, count: 15), length: 3, name: "global unicast")
    }

    /// IANA IPv4 special-purpose registry, with multicast and broadcast; first match names it.
    static let ipv4Table: [(String, String)] = [
        ("0.0.0.0/8", "this network"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared address space"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"), ("192.0.2.0/24", "documentation"),
        ("192.31.196.0/24", "AS112"), ("192.52.193.0/24", "AMT"), ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"), ("192.175.48.0/24", "AS112"), ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"), ("203.0.113.0/24", "documentation"), ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"), ("240.0.0.0/4", "reserved"),
    ]

    /// IANA IPv6 special-purpose registry and the non-unicast blocks; the embeddings that carry an
    /// IPv4 address (mapped, compatible, 6to4) are judged by that address before this table.
    static let ipv6Table: [(String, String)] = [
        ("::/128", "unspecified"), ("::1/128", "loopback"), ("64:ff9b::/96", "NAT64"),
        ("64:ff9b:1::/48", "local NAT64"), ("100::/64", "discard-only"), ("100:0:0:1::/64", "dummy prefix"),
        ("2001::/32", "Teredo"), ("2001:2::/48", "benchmarking"), ("2001:10::/28", "ORCHID"),
        ("2001:20::/28", "ORCHIDv2"), ("2001::/23", "IETF protocol assignments"), ("2001:db8::/32", "documentation"),
        ("2620:4f:8000::/48", "AS112"), ("3fff::/20", "documentation"), ("5f00::/16", "SRv6 segment identifiers"),
        ("fc00::/7", "unique local"), ("fe80::/10", "link-local"), ("fec0::/10", "site-local"), ("ff00::/8", "multicast"),
    ]

    static let ipv4Blocks = ipv4Table.compactMap { Block($0.0, $0.1) }
    static let ipv6Blocks = ipv6Table.compactMap { Block($0.0, $0.1) }

    private static func range(ofIPv4 address: [UInt8]) -> String? {
        ipv4Blocks.first { $0.contains(address) }?.name
    }

    private static func range(ofIPv6 address: [UInt8]) -> String? {
        // ::/128 and ::1 lie inside the compatible block but have names of their own.
        if let exact = ipv6Blocks.prefix(2).first(where: { $0.contains(address) }) { return exact.name }
        for embedding in [Block.ipv4Mapped, Block.ipv4Compatible] where embedding.contains(address) {
            return range(ofIPv4: Array(address[12...])).map { "\(embedding.name) \($0)" }
        }
        if Block.sixToFour.contains(address) {
            return range(ofIPv4: Array(address[2..<6])).map { "6to4 \($0)" }
        }
        if let block = ipv6Blocks.first(where: { $0.contains(address) }) { return block.name }
        return Block.globalUnicast.contains(address) ? nil : "reserved (not global unicast)"
    }

    /// Four decimal parts of 0–255 without leading zeros (which some readers take as octal).
    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part.count == 1 || part.first != "0", let byte = UInt8(part) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// The 16 bytes of an IPv6 address in RFC 4291 text form (`::` once, an IPv4 tail allowed).
    static func ipv6(_ text: String) -> [UInt8]? {
        var rest = Substring(text.lowercased())
        guard rest.contains(":"), rest.count <= 45 else { return nil }
        var tail: [UInt8] = []
        if rest.contains(".") {
            guard let colon = rest.lastIndex(of: ":"), let v4 = ipv4(String(rest[rest.index(after: colon)...])) else { return nil }
            tail = v4
            rest = rest[...colon]
            if !rest.hasSuffix("::") { rest = rest.dropLast() }
        }
        func groups(_ part: Substring) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit), let value = UInt16(group, radix: 16) else {
                    return nil
                }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        if let gap = rest.firstRange(of: "::") {
            let after = rest[gap.upperBound...]
            guard !after.contains("::"), let head = groups(rest[..<gap.lowerBound]), let end = groups(after) else { return nil }
            let known = head.count + end.count + tail.count
            guard known <= 14 else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - known) + end + tail
        }
        guard let all = groups(rest), all.count + tail.count == 16 else { return nil }
        return all + tail
    }
}
