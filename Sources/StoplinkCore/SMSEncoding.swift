/// How an SMS text is encoded and how many parts it takes: GSM-7 (160 characters, 153 a part when
/// split; the extension characters `€ [ ] { } ^ ~ \ |` and form feed take two) or, when any
/// character is outside GSM-7, UCS-2 (70 UTF-16 units, 67 a part; characters outside the BMP,
/// such as most emoji, take two). A two-unit character is never split across parts.
public struct SMSEncoding: Equatable, Sendable {
    public enum Scheme: String, Sendable, Codable {
        case gsm7 = "GSM-7"
        case ucs2 = "UCS-2"
    }

    public var scheme: Scheme
    /// Length in the scheme's units: septets for GSM-7, UTF-16 code units for UCS-2.
    public var units: Int
    public var segments: Int
    /// Units that still fit before one more segment is needed.
    public var remaining: Int
    /// The first character that forces UCS-2, and its position (0-based, in characters).
    public var firstNonGSM: (character: Character, position: Int)?

    public static func == (a: SMSEncoding, b: SMSEncoding) -> Bool {
        a.scheme == b.scheme && a.units == b.units && a.segments == b.segments && a.remaining == b.remaining
            && a.firstNonGSM?.character == b.firstNonGSM?.character && a.firstNonGSM?.position == b.firstNonGSM?.position
    }

    static let basic: Set<Character> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    static let extended: Set<Character> = ["€", "[", "]", "{", "}", "^", "~", "\\", "|", "\u{0C}"]

    public init(_ text: String) {
        // "\r\n" is one Character in Swift but two septets (CR and LF) on the air.
        var septets: [Int] = []
        var gsm = true
        var position = 0
        for character in text {
            if character == "\r\n" {
                septets += [1, 1]
            } else if Self.basic.contains(character) {
                septets.append(1)
            } else if Self.extended.contains(character) {
                septets.append(2)
            } else {
                gsm = false
                firstNonGSM = (character, position)
                break
            }
            position += 1
        }
        if gsm {
            scheme = .gsm7
            (units, segments, remaining) = Self.pack(septets, single: 160, part: 153)
        } else {
            scheme = .ucs2
            let widths = text.unicodeScalars.map { $0.utf16.count }
            (units, segments, remaining) = Self.pack(widths, single: 70, part: 67)
        }
    }

    /// Fills parts in order without splitting a two-unit character; answers total units, parts,
    /// and what is left in the last part (or of the single-part budget).
    static func pack(_ widths: [Int], single: Int, part: Int) -> (Int, Int, Int) {
        let total = widths.reduce(0, +)
        if total <= single { return (total, total == 0 ? 1 : 1, single - total) }
        var parts = 1
        var used = 0
        for width in widths {
            if used + width > part {
                parts += 1
                used = 0
            }
            used += width
        }
        return (total, parts, part - used)
    }
}
