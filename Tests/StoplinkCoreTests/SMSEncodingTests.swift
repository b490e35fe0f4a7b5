import StoplinkCore
import Testing

@Suite("SMS encoding and segments")
struct SMSEncodingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var scheme: SMSEncoding.Scheme
        var units: Int
        var segments: Int
        var testDescription: String { "\(text.prefix(20))… (\(text.count) chars)" }

        init(_ text: String, _ scheme: SMSEncoding.Scheme, _ units: Int, _ segments: Int) {
            self.text = text
            self.scheme = scheme
            self.units = units
            self.segments = segments
        }
    }

    static func a(_ count: Int) -> String { String(repeating: "a", count: count) }
    static func ya(_ count: Int) -> String { String(repeating: "я", count: count) }

    static let cases: [Case] = [
        // basic set
        Case("", .gsm7, 0, 1), Case("Hello", .gsm7, 5, 1), Case("Hello, world!", .gsm7, 13, 1),
        Case("Ça coûte 5 £ ou 6 $ @ Malmö", .ucs2, 27, 1),  // û is not in GSM-7
        Case("Ça va? Très bien. Über alles. ¿Qué?", .gsm7, 35, 1), Case("ΔΦΓΛΩΠΨΣΘΞ", .gsm7, 10, 1),
        Case("line\nbreak", .gsm7, 10, 1), Case("crlf\r\nhere", .gsm7, 10, 1), Case("ÄÖÑÜ§¿äöñüà", .gsm7, 11, 1),
        // extension characters count twice
        Case("€", .gsm7, 2, 1), Case("Price: 10€", .gsm7, 11, 1), Case("[x]", .gsm7, 5, 1), Case("{}", .gsm7, 4, 1),
        Case("a^b", .gsm7, 4, 1), Case("~", .gsm7, 2, 1), Case("\\", .gsm7, 2, 1), Case("a|b", .gsm7, 4, 1),
        // the 160/153 boundaries exactly
        Case(a(159), .gsm7, 159, 1), Case(a(160), .gsm7, 160, 1), Case(a(161), .gsm7, 161, 2),
        Case(a(306), .gsm7, 306, 2), Case(a(307), .gsm7, 307, 3), Case(a(459), .gsm7, 459, 3), Case(a(460), .gsm7, 460, 4),
        Case(a(158) + "€", .gsm7, 160, 1), Case(a(159) + "€", .gsm7, 161, 2),
        // an escape pair is never split: 152 + € does not fit 153, so the € starts part two
        Case(a(152) + "€" + a(152), .gsm7, 306, 3),
        // UCS-2: Cyrillic, accents outside GSM-7, emoji
        Case("Привет", .ucs2, 6, 1), Case("Straße ✓", .ucs2, 8, 1), Case("ł", .ucs2, 1, 1), Case("Hi 😀", .ucs2, 5, 1),
        Case("👍👍", .ucs2, 4, 1), Case("🏴󠁧󠁢󠁥󠁮󠁧󠁿", .ucs2, 14, 1), Case("中文短信", .ucs2, 4, 1),
        // the 70/67 boundaries exactly
        Case(ya(69), .ucs2, 69, 1), Case(ya(70), .ucs2, 70, 1), Case(ya(71), .ucs2, 71, 2), Case(ya(134), .ucs2, 134, 2),
        Case(ya(135), .ucs2, 135, 3), Case(ya(68) + "😀", .ucs2, 70, 1), Case(ya(69) + "😀", .ucs2, 71, 2),
        // a surrogate pair is never split: 66 + 😀 does not fit 67
        Case(ya(66) + "😀" + ya(66), .ucs2, 134, 3),
        // one character can switch the whole message
        Case(a(100) + "ł", .ucs2, 101, 2),
    ]

    @Test("Encoding, length and segments", arguments: cases)
    func counts(example: Case) {
        let text = example.text

        let encoding = SMSEncoding(text)

        #expect(encoding.scheme == example.scheme)
        #expect(encoding.units == example.units)
        #expect(encoding.segments == example.segments)
    }

    @Test("The table has at least 40 texts")
    func size() { #expect(Self.cases.count >= 40) }

    @Test("Characters left before the next segment")
    func remaining() {
        #expect(SMSEncoding(Self.a(150)).remaining == 10)
        #expect(SMSEncoding(Self.a(161)).remaining == 145)
        #expect(SMSEncoding(Self.ya(60)).remaining == 10)
        #expect(SMSEncoding(Self.ya(71)).remaining == 63)
    }

    @Test("The character that forces UCS-2 is named with its position")
    func firstNonGSM() {
        let encoding = SMSEncoding("Sale today 😀 only")

        #expect(encoding.firstNonGSM?.character == "😀")
        #expect(encoding.firstNonGSM?.position == 11)
        #expect(SMSEncoding("plain").firstNonGSM == nil)
    }
}
