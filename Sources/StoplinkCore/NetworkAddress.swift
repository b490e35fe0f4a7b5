/// Which IP addresses a webhook may be sent to: public ones only, unless development mode
/// allows loopback and private networks.
public enum NetworkAddress {
    /// Whether `address` (IPv4 dotted or IPv6 text) is loopback, private, link-local, shared,
    /// unspecified, multicast, or a cloud metadata address.
    public static func isInternal(_ address: String) -> Bool {
        if let v4 = ipv4(address) { return isInternal(v4) }
        let lower = address.lowercased()
        if lower.hasPrefix("::ffff:") {
            let rest = String(lower.dropFirst("::ffff:".count))
            if let v4 = ipv4(rest) { return isInternal(v4) }
            return true  // an IPv4 address in hex form: refuse rather than decode
        }
        if lower == "::1" || lower == "::" { return true }
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast
        // (fd00:ec2::254, a metadata address, is unique local), 64:ff9b::/96 NAT64 and
        // 2002::/16 6to4, which can both lead to any IPv4 address.
        for prefix in ["fc", "fd", "fe8", "fe9", "fea", "feb", "fec", "fed", "fee", "fef", "ff", "64:ff9b:", "2002:"]
        where lower.hasPrefix(prefix) { return true }
        return false
    }

    private static func isInternal(_ a: [UInt8]) -> Bool {
        switch (a[0], a[1]) {
        case (0, _), (10, _), (127, _): true
        case (100, 64...127): true  // shared address space (carrier NAT)
        case (169, 254): true  // link-local, including 169.254.169.254 metadata
        case (172, 16...31): true
        case (192, 168): true
        case (192, 0) where a[2] == 0: true
        case (198, 18...19): true  // benchmarking
        case (224...255, _): true  // multicast, reserved, broadcast
        default: false
        }
    }

    /// Loopback only (127.0.0.0/8, ::1).
    public static func isLoopback(_ address: String) -> Bool {
        if let v4 = ipv4(address) { return v4[0] == 127 }
        return address == "::1"
    }

    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let bytes = parts.compactMap { UInt8($0) }
        return bytes.count == 4 ? bytes : nil
    }
}
