import Testing
@testable import StoplinkCore

@Suite("Short codes")
struct ShortCodeTests {
    static let confusable: Set<Character> = ["i", "l", "o", "u"]

    @Test("a generated code has the length asked for", arguments: [8, 10, 12, 16])
    func generatedLength(length: Int) {
        let requested = length

        let code = ShortCode.generate(length: requested)

        #expect(code.count == requested)
    }

    @Test("the default length is 10")
    func defaultLength() {
        let expected = 10

        let code = ShortCode.generate()

        #expect(code.count == expected)
    }

    @Test("the alphabet is lowercase Crockford base32 without i, l, o, u")
    func alphabet() {
        let letters = Set(ShortCode.alphabet)

        let forbidden = letters.intersection(Self.confusable)

        #expect(ShortCode.alphabet.count == 32)
        #expect(letters.count == 32)
        #expect(forbidden.isEmpty)
        #expect(letters.allSatisfy { $0.isASCII && ($0.isNumber || $0.isLowercase) })
    }

    @Test("generated codes use only the alphabet, and all of it over many codes")
    func generatedCharacters() {
        let allowed = Set(ShortCode.alphabet)

        let codes = (0..<500).map { _ in ShortCode.generate(length: 16) }

        let seen = Set(codes.joined())
        #expect(seen.isSubset(of: allowed))
        #expect(seen.isDisjoint(with: Self.confusable))
        // 8,000 draws from 32 symbols: a symbol never drawn means the generator is biased.
        #expect(seen == allowed)
    }

    @Test("1,000 generated codes are all different")
    func generatedCodesAreDistinct() {
        let count = 1_000

        let codes = (0..<count).map { _ in ShortCode.generate() }

        #expect(Set(codes).count == count)
    }

    @Test("a generated code is already in its normalised form")
    func generatedIsNormalised() {
        let codes = (0..<100).map { _ in ShortCode.generate() }

        let normalised = codes.map { ShortCode.normalise($0) }

        #expect(normalised == codes.map(Optional.some))
    }

    @Test("normalising reads what a person might type", arguments: [
        ("K3M9X2Q7VD", "k3m9x2q7vd"),
        ("k3m9x2q7vd", "k3m9x2q7vd"),
        ("K3m9X2q7Vd", "k3m9x2q7vd"),
        ("OOOOOOOO", "00000000"),
        ("oOoOoOoO", "00000000"),
        ("I1L1abcd", "1111abcd"),
        ("il1Lil1L", "11111111"),
        ("k3m9-x2q7-vd", "k3m9x2q7vd"),
        ("0123456789abcdef", "0123456789abcdef"),
    ])
    func normalises(input: String, expected: String) {
        let typed = input

        let code = ShortCode.normalise(typed)

        #expect(code == expected)
    }

    @Test("normalising refuses what cannot be a code", arguments: [
        "k3m9x2q7vu",        // u is never issued
        "abcdefg",           // 7: too short
        "",                  // empty
        "0123456789abcdefg", // 17: too long
        String(repeating: "a", count: 40),
        "k3m9x2q7v!",
        "k3m9 x2q7vd",
        "k3m9x2q7vé",
        "k3m9x2q7v/",
    ])
    func refuses(input: String) {
        let typed = input

        let code = ShortCode.normalise(typed)

        #expect(code == nil)
    }

    @Test("the shortest and longest lengths are accepted")
    func lengthBounds() {
        let shortest = String(repeating: "a", count: 8)
        let longest = String(repeating: "z", count: 16)

        let results = [ShortCode.normalise(shortest), ShortCode.normalise(longest)]

        #expect(results == [shortest, longest])
    }

    @Test("the placeholder never normalises to itself, so it can never match an issued code")
    func placeholder() {
        let placeholder = ShortCode.placeholder

        let normalised = ShortCode.normalise(placeholder)

        #expect(normalised != placeholder)
        #expect(normalised == nil)
        #expect(placeholder.contains("u"))
    }
}
