import Testing
@testable import StoplinkCore

@Suite("Hexadecimal")
struct HexTests {
    @Test("Lowercase, two digits per byte, leading zeros kept")
    func encodes() {
        let bytes: [UInt8] = [0x00, 0x0f, 0xa0, 0xff, 0x7b]

        let text = Hex.encode(bytes)

        #expect(text == "000fa0ff7b")
        #expect(Hex.encode([]) == "")
    }

    @Test("An API key's hash is its SHA-256 as the familiar 64 digits")
    func digest() {
        let hash = APIKey.hash("test")

        #expect(hash == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    }

    @Test("API key hashes match only when equal")
    func hashesMatch() {
        let hash = APIKey.hash("sk_0123456789abcdefghjkmnpqrstvwxyz")

        #expect(APIKey.hashesMatch(hash, APIKey.hash("sk_0123456789abcdefghjkmnpqrstvwxyz")))
        #expect(!APIKey.hashesMatch(hash, APIKey.hash("sk_0123456789abcdefghjkmnpqrstvwxy0")))
        #expect(!APIKey.hashesMatch(hash, String(hash.dropLast())))
    }
}
