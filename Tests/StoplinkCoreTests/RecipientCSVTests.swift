import StoplinkCore
import Testing

@Suite("Reading a CSV of recipients")
struct RecipientCSVTests {
    static func read(_ text: String, extras: [String] = []) throws(RecipientCSVError) -> [RecipientLine] {
        try RecipientCSVReader.read(Array(text.utf8), extraColumns: extras)
    }

    @Test("A phone column is found under any of its common names, in any position", arguments: RecipientCSVReader.phoneColumnNames)
    func named(name: String) throws {
        let lines = try Self.read("name,\(name.uppercased())\nAnn,+31612345678\nBob,0612345679\n")
        #expect(lines == [RecipientLine(line: 2, phone: "+31612345678"), RecipientLine(line: 3, phone: "0612345679")])
    }

    @Test("`phone` wins over the other names")
    func phoneFirst() throws {
        let lines = try Self.read("to,phone\n+31600000000,+31612345678\n")
        #expect(lines.map(\.phone) == ["+31612345678"])
    }

    @Test("A file without a header is numbers in the first column, the first line included")
    func headerless() throws {
        let lines = try Self.read("+31612345678\n06 1234 5679\n", extras: ["opted_out_at", "reason"])
        #expect(lines.map(\.phone) == ["+31612345678", "06 1234 5679"])
        #expect(lines.map(\.line) == [1, 2])
        let withExtras = try Self.read("+31612345678,2025-01-01,spam\n", extras: ["opted_out_at", "reason"])
        #expect(withExtras.first?["opted_out_at"] == "2025-01-01")
        #expect(withExtras.first?["reason"] == "spam")
    }

    @Test("Extra columns are read by name; a missing one reads as empty")
    func extras() throws {
        let lines = try Self.read("reason,phone\ntoo many,+31612345678\n", extras: ["opted_out_at", "reason"])
        #expect(lines.first?["reason"] == "too many")
        #expect(lines.first?["opted_out_at"] == "")
    }

    @Test("A header that names no phone column is refused, with a hint for the wrong delimiter")
    func missingColumn() {
        #expect(throws: RecipientCSVError.missingPhoneColumn(header: ["name", "email"])) { try Self.read("name,email\nAnn,ann@example.com\n") }
        do {
            _ = try Self.read("name;phone\nAnn;+31612345678\n")
            Issue.record("a semicolon file was read")
        } catch {
            #expect(error.code == "missing_phone_column")
            #expect(error.description.contains("';'"))
        }
    }

    @Test("An empty body and bytes that are not CSV are errors with their code")
    func invalid() {
        #expect(throws: RecipientCSVError.empty) { try Self.read("") }
        #expect(RecipientCSVError.empty.code == "invalid_csv")
        #expect(throws: RecipientCSVError.invalidCSV(.unterminatedQuote(line: 2))) { try Self.read("phone\n\"+31612345678\n") }
        #expect(RecipientCSVError.invalidCSV(.invalidUTF8(line: 7)).line == 7)
    }

    @Test("Chunks split anywhere give the same lines as the whole body")
    func chunked() throws {
        let text = "\u{FEFF}msisdn,reason\r\n+31612345678,\"a, b\"\r\n+31612345679,c\r\n"
        let whole = try Self.read(text, extras: ["reason"])
        let bytes = Array(text.utf8)
        for size in 1...7 {
            var reader = RecipientCSVReader(extraColumns: ["reason"])
            var lines: [RecipientLine] = []
            var index = 0
            while index < bytes.count {
                lines += try reader.feed(bytes[index..<min(index + size, bytes.count)])
                index += size
            }
            lines += try reader.finish()
            #expect(lines == whole)
        }
        #expect(whole.map { $0["reason"] } == ["a, b", "c"])
    }
}
