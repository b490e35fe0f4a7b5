import Foundation

/// A company's SMS number as stored: E.164 for long numbers, bare digits (3–8) for short codes.
public enum SMSNumber {
    public static let shortCodeLengths = 3...8

    /// The stored form of `input`, or nil when it is neither an international number nor a short code.
    public static func normalise(_ input: String) -> String? {
        let trimmed = input.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("+") { return try? PhoneNumber(parsing: trimmed, defaultRegion: nil).e164 }
        guard isShortCode(trimmed) else { return nil }
        return trimmed
    }

    /// Whether `text` is a short code: 3–8 ASCII digits and nothing else.
    public static func isShortCode(_ text: String) -> Bool {
        shortCodeLengths.contains(text.count) && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// What a caller is told when a number is neither form.
    public static let formatHint = "must be E.164 (+31612345678) or a short code's digits (36111)"
}
