/// The random code in a short link (`k3m9x2q7vd`): lowercase Crockford base32 without `i l o u`.
public enum ShortCode {
    public static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
    public static let defaultLength = 10
    public static let allowedLengths = 8...16
    /// Longer input is not looked up as given, so a huge path cannot become a huge query.
    static let longestLookup = 32

    private static let alphabetBytes = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    /// A new code from the system's CSPRNG (`getrandom` on Linux): each character is five bits
    /// of a 64-bit draw (32 letters, so no bias), twelve characters a draw.
    public static func generate(length: Int = defaultLength) -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(length: length, using: &generator)
    }

    /// The same from any source of random bits (the tests drive it with chosen ones).
    public static func generate(length: Int = defaultLength, using generator: inout some RandomNumberGenerator) -> String {
        precondition(allowedLengths.contains(length), "short code length must be 8–16")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        var bits: UInt64 = 0
        var available = 0
        while bytes.count < length {
            if available < 5 {
                bits = generator.next()
                available = 64
            }
            bytes.append(alphabetBytes[Int(bits & 31)])
            bits >>= 5
            available -= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The form a code is stored and looked up in: lowercase, with the letters Crockford reads
    /// as digits (`o` → 0, `i`/`l` → 1) mapped, and separators a person might type dropped.
    /// Returns nil for anything that cannot be a code; callers still look up a placeholder so
    /// that a malformed code costs the same as an unknown one.
    public static func normalise(_ input: some StringProtocol) -> String? {
        var result = ""
        for character in input.lowercased() {
            switch character {
            case "o": result.append("0")
            case "i", "l": result.append("1")
            case "-": continue
            default:
                guard alphabet.contains(character) else { return nil }
                result.append(character)
            }
            if result.count > longestLookup { return nil }
        }
        return allowedLengths.contains(result.count) ? result : nil
    }

    /// What to look up for input that is not a code: well formed, but never issued
    /// (issued codes never contain `u`, so this one cannot exist).
    public static let placeholder = "uuuuuuuuuu"
}
