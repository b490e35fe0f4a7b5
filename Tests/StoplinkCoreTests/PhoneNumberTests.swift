import Testing
@testable import StoplinkCore

/// One input as a person or a spreadsheet writes it, and the E.164 number libphonenumber reads from it.
struct ParseCase: Sendable, CustomTestStringConvertible {
    let input: String
    let region: String?
    let e164: String

    init(_ input: String, _ region: String?, _ e164: String) {
        self.input = input
        self.region = region
        self.e164 = e164
    }

    var testDescription: String { "\(input.debugDescription) in \(region ?? "no region") → \(e164)" }
}

/// An input that is not a phone number, and why.
struct RejectCase: Sendable, CustomTestStringConvertible {
    let input: String
    let region: String?
    let error: PhoneNumberError

    init(_ input: String, _ region: String?, _ error: PhoneNumberError) {
        self.input = input
        self.region = region
        self.error = error
    }

    var testDescription: String { "\(input.debugDescription) in \(region ?? "no region") ✗ \(error.code)" }
}

@Suite("Phone numbers")
struct PhoneNumberTests {
    /// Expectations computed with Google's libphonenumber (the `phonenumbers` package, 9.0.43).
    static let written: [ParseCase] = [
        // Netherlands
        ParseCase("+31 6 1234 5678", nil, "+31612345678"),
        ParseCase("0031612345678", "NL", "+31612345678"),
        ParseCase("06-12345678", "NL", "+31612345678"),
        ParseCase("+31 (0)6 12345678", nil, "+31612345678"),
        ParseCase("31612345678", "NL", "+31612345678"),
        // United States and Canada
        ParseCase("(415) 555-0134", "US", "+14155550134"),
        ParseCase("+1 415 555 0134", nil, "+14155550134"),
        ParseCase("1-415-555-0134", "US", "+14155550134"),
        ParseCase("+1 (415) 555-0134", nil, "+14155550134"),
        ParseCase("011 31 6 1234 5678", "US", "+31612345678"),
        ParseCase("(416) 555-0199", "CA", "+14165550199"),
        // United Kingdom
        ParseCase("07911 123456", "GB", "+447911123456"),
        ParseCase("+44 7911 123456", nil, "+447911123456"),
        ParseCase("+44 (0)7911 123456", nil, "+447911123456"),
        // Germany
        ParseCase("030 12345678", "DE", "+493012345678"),
        ParseCase("0151 23456789", "DE", "+4915123456789"),
        ParseCase("+49 151 23456789", nil, "+4915123456789"),
        // France
        ParseCase("06 12 34 56 78", "FR", "+33612345678"),
        ParseCase("+33 6 12 34 56 78", nil, "+33612345678"),
        // Russia
        ParseCase("8 912 345-67-89", "RU", "+79123456789"),
        ParseCase("+7 912 345 67 89", nil, "+79123456789"),
        ParseCase("810 31 6 12345678", "RU", "+31612345678"),
        ParseCase("+7 (912) 345-67-89", nil, "+79123456789"),
        ParseCase("8 (912) 345-67-89", "RU", "+79123456789"),
        // Italy: the leading 0 of a landline is part of the number
        ParseCase("06 1234 5678", "IT", "+390612345678"),
        ParseCase("333 123 4567", "IT", "+393331234567"),
        ParseCase("+39 333 1234567", nil, "+393331234567"),
        ParseCase("+39 06 1234 5678", nil, "+390612345678"),
        // Spain
        ParseCase("612 34 56 78", "ES", "+34612345678"),
        ParseCase("+34 612345678", nil, "+34612345678"),
        // Australia
        ParseCase("0412 345 678", "AU", "+61412345678"),
        ParseCase("+61 412 345 678", nil, "+61412345678"),
        ParseCase("0011 31 612345678", "AU", "+31612345678"),
        ParseCase("+61 (0)412 345 678", nil, "+61412345678"),
        // Brazil
        ParseCase("11 91234-5678", "BR", "+5511912345678"),
        ParseCase("+55 11 91234 5678", nil, "+5511912345678"),
        // India
        ParseCase("98765 43210", "IN", "+919876543210"),
        ParseCase("+91 98765 43210", nil, "+919876543210"),
        // Japan
        ParseCase("090-1234-5678", "JP", "+819012345678"),
        ParseCase("+81 90 1234 5678", nil, "+819012345678"),
        // Mexico
        ParseCase("55 1234 5678", "MX", "+525512345678"),
        ParseCase("+52 55 1234 5678", nil, "+525512345678"),
        // South Africa
        ParseCase("082 123 4567", "ZA", "+27821234567"),
        ParseCase("+27 82 123 4567", nil, "+27821234567"),
        ParseCase("+27 (0)82 123 4567", nil, "+27821234567"),
        // Belgium, Switzerland, Austria, Poland
        ParseCase("0470 12 34 56", "BE", "+32470123456"),
        ParseCase("+32 470 12 34 56", nil, "+32470123456"),
        ParseCase("079 123 45 67", "CH", "+41791234567"),
        ParseCase("0664 1234567", "AT", "+436641234567"),
        ParseCase("+48 512 345 678", nil, "+48512345678"),
        // Turkey
        ParseCase("+90 532 123 45 67", nil, "+905321234567"),
        ParseCase("0532 123 45 67", "TR", "+905321234567"),
        // Ireland
        ParseCase("+353 85 123 4567", nil, "+353851234567"),
        ParseCase("085 123 4567", "IE", "+353851234567"),
        // Nordics
        ParseCase("+46 70 123 45 67", nil, "+46701234567"),
        ParseCase("070-123 45 67", "SE", "+46701234567"),
        ParseCase("+46 (0)70 123 45 67", nil, "+46701234567"),
        ParseCase("+47 412 34 567", nil, "+4741234567"),
        ParseCase("+45 20 12 34 56", nil, "+4520123456"),
        ParseCase("+358 40 1234567", nil, "+358401234567"),
        ParseCase("040 1234567", "FI", "+358401234567"),
        // Portugal, Greece
        ParseCase("+351 912 345 678", nil, "+351912345678"),
        ParseCase("+30 691 234 5678", nil, "+306912345678"),
        // China, Korea, Singapore
        ParseCase("+86 139 1234 5678", nil, "+8613912345678"),
        ParseCase("139 1234 5678", "CN", "+8613912345678"),
        ParseCase("+82 10-1234-5678", nil, "+821012345678"),
        ParseCase("010-1234-5678", "KR", "+821012345678"),
        ParseCase("+65 8123 4567", nil, "+6581234567"),
        // UAE, Indonesia, Philippines, Nigeria, Egypt, Morocco
        ParseCase("+971 50 123 4567", nil, "+971501234567"),
        ParseCase("+62 812-3456-7890", nil, "+6281234567890"),
        ParseCase("+63 917 123 4567", nil, "+639171234567"),
        ParseCase("+234 803 123 4567", nil, "+2348031234567"),
        ParseCase("+20 100 123 4567", nil, "+201001234567"),
        ParseCase("+212 612-345678", nil, "+212612345678"),
        // A region code in lowercase is still a region
        ParseCase("06-12345678", "nl", "+31612345678"),
    ]

    /// Numbers pasted from other scripts, keyboards and documents.
    static let unicodeWritten: [ParseCase] = [
        ParseCase("＋３１６１２３４５６７８", nil, "+31612345678"),                          // full-width digits and plus
        ParseCase("０６−１２３４５６７８", "NL", "+31612345678"),                             // full-width, minus sign
        ParseCase("+٣١٦١٢٣٤٥٦٧٨", nil, "+31612345678"),                                  // Arabic-Indic digits
        ParseCase("+۳۱۶۱۲۳۴۵۶۷۸", nil, "+31612345678"),                                  // Extended Arabic-Indic (Persian)
        ParseCase("+३१६१२३४५६७८", nil, "+31612345678"),                                  // Devanagari digits
        ParseCase("06\u{00A0}12\u{00A0}34\u{00A0}56\u{00A0}78", "NL", "+31612345678"),  // no-break spaces
        ParseCase("+31\u{202F}6\u{202F}12345678", nil, "+31612345678"),                 // narrow no-break spaces
        ParseCase("06.12.34.56.78", "NL", "+31612345678"),
        ParseCase("+31\u{200B}612345678", nil, "+31612345678"),                          // zero-width space
        ParseCase("\u{200E}+31 6 12345678\u{200E}", nil, "+31612345678"),               // left-to-right marks
        ParseCase("  +31 6 1234 5678\n", nil, "+31612345678"),                           // surrounding whitespace
    ]

    @Test("reads a number in any common written form", arguments: written + unicodeWritten)
    func readsWrittenForms(_ example: ParseCase) throws {
        let input = example.input

        let number = try PhoneNumber(parsing: input, defaultRegion: example.region)

        #expect(number.e164 == example.e164)
    }

    @Test("an E.164 answer reads back to itself, with no default country and with any", arguments: written + unicodeWritten)
    func e164ReadsBack(_ example: ParseCase) throws {
        let number = try PhoneNumber(parsing: example.input, defaultRegion: example.region)

        #expect(try PhoneNumber(parsing: number.e164, defaultRegion: nil) == number)
        #expect(try PhoneNumber(parsing: number.e164, defaultRegion: "US") == number)
    }

    @Test("the main region of an E.164 number", arguments: [
        ("+31612345678", "NL"), ("+14165550199", "US"), ("+79123456789", "RU"),
        ("+353851234567", "IE"), ("+971501234567", "AE"), ("+441234567890", "GB"),
    ])
    func mainRegion(e164: String, region: String) {
        let number = e164

        let found = PhoneMetadata.region(ofE164: number)

        #expect(found == region)
    }

    @Test("no region for an unknown calling code")
    func noRegionForUnknownCode() {
        let number = "+999123456"

        let found = PhoneMetadata.region(ofE164: number)

        #expect(found == nil)
    }

    static let rejected: [RejectCase] = [
        RejectCase("", "NL", .empty),
        RejectCase("", nil, .empty),
        RejectCase("+", nil, .empty),
        RejectCase(" - ( ) ", "NL", .empty),
        RejectCase("abc", "NL", .invalidCharacters),
        RejectCase("06-1234567x", "NL", .invalidCharacters),
        RejectCase("+31 6 1234 5678 ext. 12", nil, .invalidCharacters),
        RejectCase("31+612345678", nil, .invalidCharacters),
        RejectCase("++31612345678", nil, .invalidCharacters),
        RejectCase("12", "NL", .tooShort),
        RejectCase("+31 6 1234", nil, .tooShort),
        RejectCase("+31 6 1234 5678 9012 34", nil, .tooLong),
        RejectCase("+31 6 1234 5678 9012 3456", nil, .tooLong),
        RejectCase("+31 6 1234 567", nil, .tooShort),
        RejectCase("+31 6 12345 6789", nil, .invalidLength),
        RejectCase("+999 123456", nil, .unknownCountryCode),
        // Calling codes never start with 0 ("00 020…" is not Egypt), and where the trunk prefix is
        // 0 no national number starts with it: both once read back as other numbers.
        RejectCase("00020000/0/000/0[[310", "NL", .unknownCountryCode),
        RejectCase("+020 1234 5678", nil, .unknownCountryCode),
        RejectCase("+20 00 0000 0310", nil, .invalidNumber),
        RejectCase("+31 00 612 345 678", nil, .invalidNumber),
        RejectCase("0612345678", nil, .missingCountry),
        RejectCase("0612345678", "ZZ", .missingCountry),
    ]

    @Test("refuses what is not a phone number, saying why", arguments: rejected)
    func refusesNonNumbers(_ example: RejectCase) {
        let input = example.input

        let result = Result { () throws(PhoneNumberError) in
            try PhoneNumber(parsing: input, defaultRegion: example.region)
        }

        #expect(result.map(\.e164) == .failure(example.error))
    }

    @Test("two writings of one number are equal values")
    func equalAcrossWritings() throws {
        let international = try PhoneNumber(parsing: "+31 6 1234 5678", defaultRegion: nil)

        let national = try PhoneNumber(parsing: "06-12345678", defaultRegion: "NL")

        #expect(international == national)
        #expect(Set([international, national]).count == 1)
    }

    @Test("masking shows only the last two digits and hides the length")
    func masking() throws {
        let number = try PhoneNumber(parsing: "+31612345678", defaultRegion: nil)
        let longer = try PhoneNumber(parsing: "+4915123456789", defaultRegion: nil)

        let masked = number.masked

        #expect(masked == "•••••••78")
        #expect(number.description == "•••••••78")
        #expect(longer.masked == "•••••••89")
        #expect(masked.count == longer.masked.count)
        #expect(!masked.contains("3161234567"))
    }

    @Test("mask of a raw string keeps only its last two ASCII digits")
    func maskOfRawString() {
        let raw = "+1 (415) 555-0134"

        let masked = PhoneNumber.mask(raw)

        #expect(masked == "•••••••34")
    }

    /// "+49 (0)151 …": libphonenumber drops the trunk prefix written after the country code,
    /// but where the longer length is also a possible length of that country the code keeps it.
    static let trunkPrefixAfterCountryCode: [ParseCase] = [
        ParseCase("+49 (0)151 23456789", nil, "+4915123456789"),
        ParseCase("+49 0151 23456789", nil, "+4915123456789"),
        ParseCase("0049 (0)151 23456789", "DE", "+4915123456789"),
        ParseCase("+43 (0)664 1234567", nil, "+436641234567"),
        ParseCase("+86 (0)10 1234 5678", nil, "+861012345678"),
        ParseCase("+358 (0)40 1234567", nil, "+358401234567"),
        ParseCase("+353 (0)85 123 4567", nil, "+353851234567"),
        ParseCase("+82 (0)10-1234-5678", nil, "+821012345678"),
        ParseCase("+62 (0)812-3456-7890", nil, "+6281234567890"),
    ]

    @Test("a trunk prefix after the country code is dropped", arguments: trunkPrefixAfterCountryCode)
    func trunkPrefixAfterCountryCodeIsDropped(_ example: ParseCase) throws {
        let input = example.input

        let number = try PhoneNumber(parsing: input, defaultRegion: example.region)

        #expect(number.e164 == example.e164)
    }

    /// A national number one digit short or long: with the trunk prefix removed its length is not
    /// possible, so it is refused rather than read with the `0` as a digit of the number.
    static let mistypedNational: [RejectCase] = [
        RejectCase("061234567", "NL", .tooShort),
        RejectCase("06 1234 5678 9", "NL", .invalidLength),
        RejectCase("06 12 34 56 7", "FR", .tooShort),
    ]

    @Test("a national number of an impossible length is refused", arguments: mistypedNational)
    func mistypedNationalIsRefused(_ example: RejectCase) {
        let input = example.input

        let result = Result { () throws(PhoneNumberError) in
            try PhoneNumber(parsing: input, defaultRegion: example.region)
        }

        #expect(result.map(\.e164) == .failure(example.error))
    }
}
