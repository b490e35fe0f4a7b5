import StoplinkCore
import Testing

@Suite("Dashboard passwords and emails")
struct PasswordTests {
    @Test("a generated password is long, random and acceptable")
    func generated() {
        let first = Password.generate()
        let second = Password.generate()

        #expect(first != second)
        #expect(first.count >= Password.minimumLength)
        #expect(Password.problem(first) == nil)
    }

    @Test("too short and too long (bcrypt's 72 bytes) are refused")
    func limits() {
        #expect(Password.problem("eleven char") != nil)
        #expect(Password.problem("twelve chars") == nil)
        #expect(Password.problem(String(repeating: "a", count: 72)) == nil)
        #expect(Password.problem(String(repeating: "a", count: 73)) != nil)
        #expect(Password.problem(String(repeating: "é", count: 37)) != nil, "74 bytes in 37 characters")
    }

    @Test("a hash verifies only its own password, at the asked cost")
    func hashing() {
        let hasher = PasswordHasher(cost: 4)

        let hash = hasher.hash("correct horse battery")

        #expect(hash.hasPrefix("$2b$04$"))
        #expect(hasher.verify("correct horse battery", hash: hash))
        #expect(!hasher.verify("correct horse batterY", hash: hash))
        #expect(!hasher.verify("correct horse battery", hash: hasher.decoyHash()))
        #expect(!hasher.verify("anything", hash: "not a hash"))
    }

    @Test("emails are trimmed and lowercased; malformed ones are refused",
          arguments: [
              ("  Ann@Acme.Example ", "ann@acme.example"), ("bob@sub.acme.example", "bob@sub.acme.example"),
              ("ann", nil), ("@acme.example", nil), ("ann@", nil), ("ann@acme", nil), ("a b@acme.example", nil),
              ("ann@@acme.example", nil), ("ann@.example", nil),
          ] as [(String, String?)])
    func emails(input: String, expected: String?) {
        #expect(EmailAddress.normalize(input) == expected)
    }
}
