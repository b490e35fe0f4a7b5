/// A phone number in E.164 form (`+31612345678`), read from anything a person or a spreadsheet writes.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    /// `+` followed by the country calling code and the national significant number.
    public let e164: String

    public var description: String { masked }

    /// The number with all but its last two digits hidden, for pages and logs.
    public var masked: String { PhoneNumber.mask(e164) }

    public init(parsing input: some StringProtocol, defaultRegion: String?) throws(PhoneNumberError) {
        e164 = try PhoneNumber.parse(String(input), defaultRegion: defaultRegion)
    }

    /// Wraps a value already known to be E.164 (read back from storage).
    public init(trustedE164: String) {
        e164 = trustedE164
    }

    /// Hides everything but the last two digits; the length is hidden too.
    public static func mask(_ number: String) -> String {
        let digits = number.filter(\.isASCIIDigit)
        return "•••••••" + String(digits.suffix(2))
    }

    static let maximumDigits = 15

    static func parse(_ input: String, defaultRegion: String?) throws(PhoneNumberError) -> String {
        let (hasPlus, digits) = try normalise(input)
        if digits.isEmpty { throw .empty }
        if digits.count < 3 { throw .tooShort }
        if digits.count > 17 { throw .tooLong }

        let region = defaultRegion.flatMap { PhoneMetadata.regions[$0.uppercased()] }
        if hasPlus {
            return try international(digits)
        }
        if let region {
            if let prefix = region.internationalPrefixes.first(where: { digits.hasPrefix($0) }) {
                return try international(String(digits.dropFirst(prefix.count)))
            }
            return try national(digits, in: region)
        }
        if digits.hasPrefix("00") {
            return try international(String(digits.dropFirst(2)))
        }
        throw .missingCountry
    }

    private static func international(_ digits: String) throws(PhoneNumberError) -> String {
        // Calling codes never start with 0: "+020…" is not Egypt's 20.
        if digits.hasPrefix("0") { throw .unknownCountryCode }
        for length in 1...3 where digits.count > length {
            guard let code = Int(digits.prefix(length)),
                  let lengths = PhoneMetadata.lengthsByCallingCode[code] else { continue }
            var national = String(digits.dropFirst(length))
            let region = PhoneMetadata.mainRegionByCallingCode[code].flatMap { PhoneMetadata.regions[$0] }
            // "+49 (0)151 …": a trunk prefix written after the country code. Where the trunk
            // prefix is 0, national significant numbers never start with it, so it goes
            // whenever what is left has a possible length; other trunk digits (1, 8) can begin
            // a real number, so those go only when the number is impossible with them.
            if let prefix = region?.nationalPrefix, national.hasPrefix(prefix),
               lengths.contains(national.count - prefix.count),
               prefix == "0" || !lengths.contains(national.count) {
                national.removeFirst(prefix.count)
            }
            return try validated(code: code, national: national, lengths: lengths, trunkPrefix: region?.nationalPrefix)
        }
        throw .unknownCountryCode
    }

    private static func national(_ digits: String, in region: PhoneMetadata.Region) throws(PhoneNumberError) -> String {
        if let prefix = region.nationalPrefix {
            if digits.hasPrefix(prefix), region.lengths.contains(digits.count - prefix.count) {
                return try validated(code: region.callingCode, national: String(digits.dropFirst(prefix.count)), lengths: region.lengths, trunkPrefix: prefix)
            }
            // A 0 trunk prefix never belongs to the number: "061234567" in NL is a digit short,
            // not +31061234567. (A leading 8 in Russia can be a real area code, so only 0.)
            if prefix == "0", digits.hasPrefix(prefix) {
                return try validated(code: region.callingCode, national: String(digits.dropFirst(prefix.count)), lengths: region.lengths, trunkPrefix: prefix)
            }
            // Where national numbers are written with a trunk prefix, one that starts with the
            // country's own calling code instead is international with the "+" lost (316… in NL).
            let code = String(region.callingCode)
            if digits.hasPrefix(code), region.lengths.contains(digits.count - code.count) {
                return try validated(code: region.callingCode, national: String(digits.dropFirst(code.count)), lengths: region.lengths, trunkPrefix: prefix)
            }
        }
        return try validated(code: region.callingCode, national: digits, lengths: region.lengths, trunkPrefix: region.nationalPrefix)
    }

    /// `trunkPrefix`: the country's national prefix. Where it is 0, no national significant
    /// number starts with 0, so one that still does is refused rather than stored in a form
    /// that would read back as another number.
    private static func validated(code: Int, national: String, lengths: [Int], trunkPrefix: String?) throws(PhoneNumberError) -> String {
        guard let shortest = lengths.first, let longest = lengths.last else { throw .unknownCountryCode }
        if trunkPrefix == "0", national.hasPrefix("0") { throw .invalidNumber }
        if national.count < shortest { throw .tooShort }
        if national.count > longest { throw .tooLong }
        if !lengths.contains(national.count) { throw .invalidLength }
        let e164 = "+\(code)\(national)"
        if e164.count - 1 > maximumDigits { throw .tooLong }
        return e164
    }

    /// Keeps the digits (any script's decimal digits become ASCII) and notes a leading plus;
    /// separators people write are dropped and anything else is refused.
    private static func normalise(_ input: String) throws(PhoneNumberError) -> (hasPlus: Bool, digits: String) {
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var hasPlus = false
        var seenDigit = false
        for scalar in input.unicodeScalars {
            if scalar.isASCII, scalar.value >= 0x30, scalar.value <= 0x39 {
                digits.append(UInt8(scalar.value))
                seenDigit = true
            } else if let digit = decimalValue(of: scalar) {
                digits.append(UInt8(ascii: "0") + UInt8(digit))
                seenDigit = true
            } else if scalar == "+" || scalar == "\u{FF0B}" {
                if seenDigit || hasPlus { throw .invalidCharacters }
                hasPlus = true
            } else if separators.contains(scalar) || scalar.properties.isWhitespace {
                continue
            } else if scalar.properties.generalCategory == .format {
                continue  // invisible marks pasted with the number (LRM, zero-width space)
            } else {
                throw .invalidCharacters
            }
        }
        return (hasPlus, String(decoding: digits, as: UTF8.self))
    }

    private static let separators: Set<Unicode.Scalar> = [
        "-", ".", "/", "(", ")", "[", "]", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}",
        "\u{2212}", "\u{FF0D}", "\u{FF0E}", "\u{FF08}", "\u{FF09}", "\u{FF0F}", "\u{30FC}",
    ]

    private static func decimalValue(of scalar: Unicode.Scalar) -> Int? {
        guard scalar.properties.numericType == .decimal,
              let value = scalar.properties.numericValue else { return nil }
        return Int(value)
    }
}

/// Why an input could not be read as a phone number; the description is safe to show a user.
public enum PhoneNumberError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case invalidCharacters
    case tooShort
    case tooLong
    case invalidLength
    case unknownCountryCode
    case missingCountry
    case invalidNumber

    public var code: String {
        switch self {
        case .empty: "empty"
        case .invalidCharacters: "invalid_characters"
        case .tooShort: "too_short"
        case .tooLong: "too_long"
        case .invalidLength: "invalid_length"
        case .unknownCountryCode: "unknown_country_code"
        case .missingCountry: "missing_country_code"
        case .invalidNumber: "invalid_number"
        }
    }

    public var description: String {
        switch self {
        case .empty: "no number given"
        case .invalidCharacters: "contains characters that are not part of a phone number"
        case .tooShort: "too short to be a phone number"
        case .tooLong: "too long to be a phone number"
        case .invalidLength: "not a possible length for a number of that country"
        case .unknownCountryCode: "unknown country calling code"
        case .missingCountry: "no country code, and no default country to read a national number"
        case .invalidNumber: "not a valid number for that country"
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
