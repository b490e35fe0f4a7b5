import Testing
@testable import StoplinkCore

@Suite("Network addresses")
struct NetworkAddressTests {
    /// Each address with the special-purpose range that must refuse it, or nil for a public one.
    /// Embedded IPv4 addresses appear in both the dotted and the hexadecimal form.
    static let table: [(String, String?)] = [
        // IPv4 special-purpose registry, multicast, reserved, broadcast
        ("0.0.0.0", "this network"), ("0.1.2.3", "this network"), ("10.0.0.1", "private"),
        ("100.64.0.1", "shared address space"), ("100.127.255.254", "shared address space"),
        ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("169.254.169.254", "link-local"),
        ("172.16.0.1", "private"), ("172.31.255.255", "private"), ("192.0.0.9", "IETF protocol assignments"),
        ("192.0.0.170", "IETF protocol assignments"), ("192.0.2.10", "documentation"), ("192.31.196.1", "AS112"),
        ("192.52.193.1", "AMT"), ("192.88.99.1", "6to4 relay anycast"), ("192.168.1.1", "private"),
        ("192.175.48.6", "AS112"), ("198.18.0.1", "benchmarking"), ("198.19.255.255", "benchmarking"),
        ("198.51.100.7", "documentation"), ("203.0.113.9", "documentation"), ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"), ("240.0.0.1", "reserved"), ("255.255.255.255", "broadcast"),
        // IPv4 neighbours of those ranges stay public
        ("1.1.1.1", nil), ("8.8.8.8", nil), ("100.63.255.255", nil), ("100.128.0.1", nil), ("172.15.255.255", nil),
        ("172.32.0.1", nil), ("192.0.1.1", nil), ("198.17.255.255", nil), ("198.20.0.1", nil), ("223.255.255.254", nil),
        // IPv6 special-purpose registry
        ("::", "unspecified"), ("::1", "loopback"), ("64:ff9b::808:808", "NAT64"), ("64:ff9b::8.8.8.8", "NAT64"),
        ("64:ff9b:1::1", "local NAT64"), ("100::1", "discard-only"), ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("2001:2::1", "benchmarking"), ("2001:10::1", "ORCHID"), ("2001:20::1", "ORCHIDv2"),
        ("2001:1::1", "IETF protocol assignments"), ("2001:db8::1", "documentation"), ("2001:DB8:0:0:0:0:0:1", "documentation"),
        ("3fff::1", "documentation"), ("5f00::1", "SRv6 segment identifiers"), ("2620:4f:8000::42", "AS112"),
        ("fc00::1", "unique local"), ("fd00:ec2::254", "unique local"), ("fe80::1", "link-local"),
        ("fec0::1", "site-local"), ("ff02::1", "multicast"), ("1::1", "reserved (not global unicast)"),
        ("::ffff:0:0:1", "reserved (not global unicast)"),
        // IPv4-mapped, both forms
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"), ("::ffff:7f00:1", "IPv4-mapped loopback"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local"), ("::ffff:a9fe:a9fe", "IPv4-mapped link-local"),
        ("0:0:0:0:0:ffff:10.0.0.1", "IPv4-mapped private"), ("::FFFF:A00:1", "IPv4-mapped private"),
        ("::ffff:8.8.8.8", nil), ("::ffff:808:808", nil),
        // IPv4-compatible, both forms
        ("::127.0.0.1", "IPv4-compatible loopback"), ("::7f00:1", "IPv4-compatible loopback"),
        ("::169.254.169.254", "IPv4-compatible link-local"), ("::a9fe:a9fe", "IPv4-compatible link-local"),
        ("::0.0.0.2", "IPv4-compatible this network"), ("::2", "IPv4-compatible this network"),
        ("::8.8.8.8", nil), ("::808:808", nil),
        // 6to4: the IPv4 address sits in the second and third groups
        ("2002:7f00:1::1", "6to4 loopback"), ("2002:a9fe:a9fe::", "6to4 link-local"), ("2002:c0a8:101::1", "6to4 private"),
        ("2002:808:808::1", nil),
        // ordinary global unicast
        ("2606:4700:4700::1111", nil), ("2a00:1450:4001:82a::200e", nil), ("2001:4860:4860::8888", nil),
        ("2001:200::1", nil),
        // what cannot be read is refused
        ("fe80::1%eth0", "an unreadable address"), ("0177.0.0.1", "an unreadable address"),
        ("0x7f.0.0.1", "an unreadable address"), ("2130706433", "an unreadable address"),
        ("1.2.3", "an unreadable address"), ("1.2.3.256", "an unreadable address"), ("+1.2.3.4", "an unreadable address"),
        ("1::2::3", "an unreadable address"), ("1:2:3:4:5:6:7:8:9", "an unreadable address"),
        ("::ffff:1.2.3.4.5", "an unreadable address"), ("12345::", "an unreadable address"), ("", "an unreadable address"),
        ("localhost", "an unreadable address"),
    ]

    @Test("every IANA special-purpose address is refused, whatever the form; public ones pass", arguments: table)
    func specialPurpose(address: String, expected: String?) {
        let text = address

        let range = NetworkAddress.specialPurposeRange(of: text)

        #expect(range == expected, "\(address)")
    }

    @Test("every block of the registry tables is readable")
    func tables() {
        let tables = (NetworkAddress.ipv4Table.count, NetworkAddress.ipv6Table.count)

        let read = (NetworkAddress.ipv4Blocks.count, NetworkAddress.ipv6Blocks.count)

        #expect(read == tables)
    }

    @Test("IPv6 text reads to the same bytes in every legal spelling")
    func spellings() {
        let spellings = ["2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:DB8:0:0::0:1", "2001:db8:0:0:0:0:0.0.0.1"]

        let read = Set(spellings.compactMap(NetworkAddress.ipv6))

        #expect(read.count == 1)
        #expect(read.first == [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1])
    }

    @Test("loopback is 127/8, ::1 and its mapped form, nothing else", arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("::ffff:127.0.0.1", true), ("::ffff:7f00:1", true),
        ("10.0.0.1", false), ("::", false), ("::127.0.0.1", false), ("fe80::1", false), ("localhost", false),
    ])
    func loopback(address: String, expected: Bool) {
        let text = address

        let isLoopback = NetworkAddress.isLoopback(text)

        #expect(isLoopback == expected, "\(address)")
    }
}
