import Foundation

/// Cleans text a recipient typed before it is stored or shown to a marketer.
public enum FreeText {
    public static let maximumReasonLength = 500

    /// Trimmed, in NFC, without control or bidirectional-override characters, cut to `limit`
    /// characters; nil when nothing is left.
    public static func clean(_ input: String, limit: Int = maximumReasonLength) -> String? {
        var scalars = String.UnicodeScalarView()
        for scalar in input.unicodeScalars {
            if bidiControls.contains(scalar.value) { continue }
            switch scalar.properties.generalCategory {
            case .control:
                // Keep line breaks as spaces so words do not run together.
                if scalar == "\n" || scalar == "\r" || scalar == "\t" { scalars.append(" ") }
            case .format where !isEmojiFormat(scalar.value):
                continue
            default:
                scalars.append(scalar)
            }
        }
        let normalised = String(scalars).precomposedStringWithCanonicalMapping
        let trimmed = normalised.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        return String(trimmed.prefix(limit))
    }

    /// Format characters emoji need: ZWJ, and the tag characters of flags such as England's.
    private static func isEmojiFormat(_ value: UInt32) -> Bool { value == 0x200D || (0xE0020...0xE007F).contains(value) }

    /// LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM.
    private static let bidiControls: Set<UInt32> = [
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C,
    ]
}
