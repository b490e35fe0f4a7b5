import Foundation
import PropertyBased
import StoplinkCore
import Testing

/// Replays chosen 64-bit values as a random number generator, so a property can drive code that
/// draws random bits (cycling when they run out).
struct ReplayedBits: RandomNumberGenerator {
    var values: [UInt64]
    var index = 0

    mutating func next() -> UInt64 {
        defer { index += 1 }
        return values.isEmpty ? 0 : values[index % values.count]
    }
}

@Suite("Properties over generated inputs")
struct PropertyTests {
    /// Cells with every character CSV treats specially, beside ordinary and multi-byte ones.
    static let cell = Gen<Character?>.element(of: Array("ab1 ,\"\n\r\té😀=+-@;'") + ["\r\n", "e\u{301}", "\"\u{301}"])
        .map { $0! }.string(of: 0...12)

    @Test("CSV: rows written and read back are the same rows")
    func csvRoundTrip() async {
        await propertyCheck(count: 1_000, input: Self.cell.array(of: 1...5).array(of: 1...6)) { rows in
            let text = rows.map { CSVWriter.row($0.map { CSVWriter.field($0) }) }.joined()
            let records = try CSVReader.records(of: Array(text.utf8))
            #expect(records.map(\.fields) == rows, "written as \(text.debugDescription)")
        }
    }

    /// `+`, a country calling code of one to three digits, then up to 14 digits, with the
    /// separators people type between them.
    static let internationalInput = Gen<Character?>.element(of: Array("0123456789 -().")).map { $0! }.string(of: 4...18)
        .map { "+" + $0 }

    @Test("Phone numbers: every E.164 number read reads back to itself, from any default country")
    func e164ReadsBackToItself() async {
        let regions = ["NL", "US", "DE", "FR", "GB", "AR", "CL", "IN", "JP", "BR"]
        await propertyCheck(count: 2_000, input: Self.internationalInput, Gen<String?>.element(of: regions).map { $0! }) { input, region in
            guard let number = try? PhoneNumber(parsing: input, defaultRegion: region) else { return }
            let again = try PhoneNumber(parsing: number.e164, defaultRegion: nil)
            #expect(again.e164 == number.e164, "\(input) read as \(number.e164)")
            #expect(number.e164.hasPrefix("+") && number.e164.dropFirst().allSatisfy(\.isNumber))
        }
    }

    @Test("Short codes: whatever the random bits, a code has the asked length, only alphabet letters, never i l o u")
    func codesHoldNoExcludedCharacter() async {
        let bits = Gen<UInt64>.value(in: UInt64.min...UInt64.max).array(of: 0...4)
        await propertyCheck(count: 1_000, input: bits, Gen.int(in: ShortCode.allowedLengths)) { values, length in
            var generator = ReplayedBits(values: values)
            let code = ShortCode.generate(length: length, using: &generator)
            #expect(code.count == length)
            #expect(code.allSatisfy { ShortCode.alphabet.contains($0) })
            #expect(!code.contains { "ilou".contains($0) })
            #expect(ShortCode.normalise(code) == code, "a code is already in the form it is looked up in")
        }
    }

    @Test("Form tokens verify for their own link within their lifetime, and never for another link")
    func formTokenOnlyForItsLink() async {
        let code = Gen<Character?>.element(of: ShortCode.alphabet).map { $0! }.string(of: ShortCode.allowedLengths)
        let age = Gen.int(in: 0...Int(FormToken.lifetime) - 1)
        let token = FormToken(secret: Data("property test secret".utf8))
        let issuedAt = Date(timeIntervalSince1970: 1_800_000_000)
        await propertyCheck(count: 500, input: code, code, age) { own, other, seconds in
            let issued = token.issue(code: own, at: issuedAt)
            let later = issuedAt.addingTimeInterval(TimeInterval(seconds))
            #expect(token.isValid(issued, code: own, at: later))
            if other != own { #expect(!token.isValid(issued, code: other, at: later)) }
            #expect(!token.isValid(issued, code: own, at: issuedAt.addingTimeInterval(FormToken.lifetime + 1)))
        }
    }
}
