import StoplinkCore
import Testing

@Suite("A company's SMS numbers")
struct SMSNumberTests {
    @Test("International numbers are stored in E.164", arguments: [
        ("+31 6 12345678", "+31612345678"), ("+1 (415) 555-2671", "+14155552671"), (" +447911123456 ", "+447911123456"),
    ])
    func international(input: String, stored: String) {
        #expect(SMSNumber.normalise(input) == stored)
    }

    @Test("Short codes are 3 to 8 digits", arguments: [("36111", "36111"), ("123", "123"), ("12345678", "12345678")])
    func shortCodes(input: String, stored: String) {
        #expect(SMSNumber.normalise(input) == stored)
        #expect(SMSNumber.isShortCode(stored))
    }

    @Test("Anything else is refused", arguments: ["12", "123456789", "36 111", "٣٦١١١", "+999", "abc", "", "0612345678"])
    func refused(input: String) {
        #expect(SMSNumber.normalise(input) == nil)
    }
}
