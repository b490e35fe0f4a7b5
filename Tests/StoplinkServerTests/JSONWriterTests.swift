import Foundation
import PropertyBased
import StoplinkCore
@testable import StoplinkServer
import Testing

@Suite("Answers written without JSONEncoder")
struct JSONWriterTests {
    /// Strings with every character JSON escapes, beside slashes, multi-byte and combining ones.
    static let text = Gen<Character?>.element(of: Array("ab1 \"\\/\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}é😀<&'") + ["\r\n", "e\u{301}"])
        .map { $0! }.string(of: 0...12)

    /// Every shape an answer takes: unreadable (error), allowed, refused with or without a campaign.
    static let result = PropertyBased.zip(text, text, Gen.int(in: 0...3)).map { phone, free, shape in
        CheckAPI.Result(
            phone: phone, allowed: shape == 0 ? nil : shape == 1,
            since: shape >= 2 ? Date(timeIntervalSince1970: Double(shape) * 1_234_567.891) : nil,
            scope: shape >= 2 ? .marketing : nil, source: shape == 3 ? .link : nil,
            campaign: shape == 3 ? free : nil, error: shape == 0 ? free : nil
        )
    }

    @Test("A check's answer is byte for byte what APIJSON.encoder writes")
    func checkAnswerMatchesEncoder() async throws {
        struct Answer: Encodable { var results: [CheckAPI.Result] }
        await propertyCheck(count: 500, input: Self.result.array(of: 0...6)) { results in
            let written = CheckAPI.Result.answer(results)
            let encoded = try APIJSON.encoder.encode(Answer(results: results))
            #expect(String(buffer: written) == String(decoding: encoded, as: UTF8.self))
        }
    }

    @Test("An unreadable input comes back escaped and readable as JSON")
    func hostileInput() throws {
        let input = "\"}],\"x\":\"\\\u{0}\n"
        let written = CheckAPI.Result.answer([CheckAPI.Result(phone: input, error: "not a phone number")])

        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: written).utf8)) as? [String: Any]
        let results = try #require(object?["results"] as? [[String: Any]])
        #expect(results.count == 1)
        #expect(results.first?["phone"] as? String == input)
        #expect(results.first?.keys.sorted() == ["error", "phone"])
    }
}
