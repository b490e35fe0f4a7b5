import Testing
@testable import StoplinkCore

@Suite("Form bodies")
struct FormBodyTests {
    static func parse(_ text: String) throws(FormBody.ReadError) -> [String: String] {
        try FormBody.parse(Array(text.utf8))
    }

    @Test("Pairs keep body order and repeated names, as Twilio signs them; fields keep the first value")
    func pairsInOrder() throws {
        let body = Array("To=%2B3197010000000&Body=STOP&Body=again&&flag".utf8)

        let pairs = try FormBody.pairs(body)
        let fields = try FormBody.parse(body)

        #expect(pairs.map { "\($0.0)=\($0.1)" } == ["To=+3197010000000", "Body=STOP", "Body=again", "flag="])
        #expect(fields == ["To": "+3197010000000", "Body": "STOP", "flag": ""])
    }

    @Test("'+' and %20 are spaces")
    func spaces() throws {
        let body = "name=Jan+de+Vries&city=Den%20Haag"

        let fields = try Self.parse(body)

        #expect(fields == ["name": "Jan de Vries", "city": "Den Haag"])
    }

    @Test("percent escapes are UTF-8, in either case of hex")
    func utf8Escapes() throws {
        let body = "reason=%C3%A9t%C3%A9&price=%e2%82%ac5&phone=%2B31+6&and=a%26b%3Dc"

        let fields = try Self.parse(body)

        #expect(fields["reason"] == "été")
        #expect(fields["price"] == "€5")
        #expect(fields["phone"] == "+31 6")
        #expect(fields["and"] == "a&b=c")
    }

    @Test("raw UTF-8 bytes pass through")
    func rawUTF8() throws {
        let body = "reason=слишком много"

        let fields = try Self.parse(body)

        #expect(fields["reason"] == "слишком много")
    }

    @Test("an escape that is not UTF-8 is refused", arguments: ["x=%FF", "x=%C3", "x=%C3%28", "%FF=x", "x=%ED%A0%80"])
    func invalidUTF8(body: String) {
        let text = body

        #expect(throws: FormBody.ReadError.invalidUTF8) {
            try Self.parse(text)
        }
    }

    @Test("a malformed escape is refused", arguments: ["x=%G1", "x=%1G", "x=%", "x=%4", "x=ab%", "%zz=1"])
    func malformedEscape(body: String) {
        let text = body

        #expect(throws: FormBody.ReadError.malformedEscape) {
            try Self.parse(text)
        }
    }

    @Test("when a name repeats, the first value wins")
    func firstValueWins() throws {
        let body = "phone=%2B31612345678&phone=%2B31000000000&token=a&token=b"

        let fields = try Self.parse(body)

        #expect(fields == ["phone": "+31612345678", "token": "a"])
    }

    @Test("empty pairs, bare names and values containing = are read as a browser writes them")
    func edges() throws {
        let body = "a=1&&flag&b=&c=x=y&"

        let fields = try Self.parse(body)

        #expect(fields == ["a": "1", "flag": "", "b": "", "c": "x=y"])
    }

    @Test("an empty body has no fields")
    func empty() throws {
        let body = ""

        let fields = try Self.parse(body)

        #expect(fields.isEmpty)
    }
}
