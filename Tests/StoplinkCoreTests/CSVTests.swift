import Testing
@testable import StoplinkCore

@Suite("CSV reading")
struct CSVReaderTests {
    static func read(_ text: String) throws(CSVError) -> [CSVRecord] {
        try CSVReader.records(of: Array(text.utf8))
    }

    /// Feeds `bytes` in chunks of `size` and then finishes, the way an upload arrives.
    static func readInChunks(_ bytes: [UInt8], size: Int) throws(CSVError) -> [CSVRecord] {
        var reader = CSVReader()
        var records: [CSVRecord] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            records += try reader.feed(bytes[start..<end])
            start = end
        }
        records += try reader.finish()
        return records
    }

    @Test("a header and rows become records with their line numbers")
    func headerAndRows() throws {
        let text = "phone,reason\n+31612345678,too many\n+31612345679,\n"

        let records = try Self.read(text)

        #expect(records == [
            CSVRecord(line: 1, fields: ["phone", "reason"]),
            CSVRecord(line: 2, fields: ["+31612345678", "too many"]),
            CSVRecord(line: 3, fields: ["+31612345679", ""]),
        ])
    }

    @Test("the last record needs no line end")
    func lastRecordWithoutNewline() throws {
        let text = "a,b\nc,d"

        let records = try Self.read(text)

        #expect(records.map(\.fields) == [["a", "b"], ["c", "d"]])
    }

    @Test("quoted fields keep commas, and \"\" is a quote")
    func quoting() throws {
        let text = "name,note\n\"de Vries, Jan\",\"said \"\"stop\"\"\"\n\"\",\"\"\"\"\n"

        let records = try Self.read(text)

        #expect(records.map(\.fields) == [
            ["name", "note"],
            ["de Vries, Jan", "said \"stop\""],
            ["", "\""],
        ])
    }

    @Test("CRLF line ends are one line end")
    func crlf() throws {
        let text = "a,b\r\nc,d\r\ne,f\r\n"

        let records = try Self.read(text)

        #expect(records == [
            CSVRecord(line: 1, fields: ["a", "b"]),
            CSVRecord(line: 2, fields: ["c", "d"]),
            CSVRecord(line: 3, fields: ["e", "f"]),
        ])
    }

    @Test("a UTF-8 byte order mark is not part of the first field")
    func bom() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("phone,reason\n+31612345678,x\n".utf8)

        let records = try CSVReader.records(of: bytes)

        #expect(records.first?.fields == ["phone", "reason"])
        #expect(records.first?.line == 1)
        #expect(records.count == 2)
    }

    @Test("bytes that only look like the start of a BOM are kept")
    func partialBOMIsText() throws {
        let bytes: [UInt8] = [0xEF, 0xBB] + Array("x".utf8)

        #expect(throws: CSVError.invalidUTF8(line: 1)) {
            try CSVReader.records(of: bytes)
        }
    }

    @Test("blank lines are skipped, and lines are still counted")
    func blankLines() throws {
        let text = "a\n\n\nb\r\n\r\nc\n\n"

        let records = try Self.read(text)

        #expect(records == [
            CSVRecord(line: 1, fields: ["a"]),
            CSVRecord(line: 4, fields: ["b"]),
            CSVRecord(line: 6, fields: ["c"]),
        ])
    }

    @Test("a quoted field over several lines counts its lines")
    func multiLineQuotedField() throws {
        let text = "phone,reason\n+31612345678,\"too\nmany\nmessages\"\n+31612345679,x\r\n+31612345670,\"a\r\nb\"\r\n+31612345671,y\n"

        let records = try Self.read(text)

        #expect(records.map(\.line) == [1, 2, 5, 6, 8])
        #expect(records[1].fields == ["+31612345678", "too\nmany\nmessages"])
        #expect(records[3].fields == ["+31612345670", "a\r\nb"])
    }

    @Test("an unterminated quote is reported with the line it opened on")
    func unterminatedQuote() {
        let text = "phone,reason\n+31612345678,ok\n+31612345679,\"never\nclosed\n+31612345670,x\n"

        #expect(throws: CSVError.unterminatedQuote(line: 3)) {
            try Self.read(text)
        }
    }

    @Test("text that is not UTF-8 is reported with its line")
    func invalidUTF8() {
        let bytes = Array("phone\n+31612345678\n".utf8) + [0x2B, 0xFF, 0x31] + Array("\n".utf8)

        #expect(throws: CSVError.invalidUTF8(line: 3)) {
            try CSVReader.records(of: bytes)
        }
    }

    @Test("a record longer than the limit is refused")
    func recordTooLong() {
        let bytes = Array("a\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: CSVReader.maximumRecordBytes + 1)

        #expect(throws: CSVError.recordTooLong(line: 2)) {
            try CSVReader.records(of: bytes)
        }
    }

    @Test("non-ASCII text is read as UTF-8")
    func utf8Fields() throws {
        let text = "reason\nслишком много,été,🏳️‍🌈\n"

        let records = try Self.read(text)

        #expect(records.last?.fields == ["слишком много", "été", "🏳️‍🌈"])
    }

    static let texts: [[UInt8]] = [
        Array("phone,reason\n+31612345678,too many\n".utf8),
        [0xEF, 0xBB, 0xBF] + Array("a,b\r\n\"x, y\",\"multi\r\nline\"\r\n\r\nlast".utf8),
        Array("\"\"\"\",\"\",\n\n\n,\nслишком,\"мно\"\"го\"\n".utf8),
        Array("\r\n\r\nonly\r".utf8),
        [0xEF, 0xBB, 0xBF] + Array("x,y".utf8),
        Array("é,🏳️‍🌈\n\"\n\",x".utf8),
        Array("".utf8),
    ]

    @Test("feeding one byte at a time reads the same records as all at once", arguments: texts)
    func byteAtATime(bytes: [UInt8]) throws {
        let whole = try CSVReader.records(of: bytes)

        let oneByOne = try Self.readInChunks(bytes, size: 1)

        #expect(oneByOne == whole)
    }

    @Test("any chunk size reads the same records", arguments: [2, 3, 5, 7, 64])
    func anyChunkSize(size: Int) throws {
        let bytes = Self.texts.dropLast().joined(separator: Array("\n".utf8)).map { $0 }
        let whole = try CSVReader.records(of: bytes)

        let chunked = try Self.readInChunks(bytes, size: size)

        #expect(chunked == whole)
        #expect(!whole.isEmpty)
    }
}

@Suite("CSV writing")
struct CSVWriterTests {
    @Test("fields are quoted only where needed", arguments: [
        ("plain", "plain"),
        ("de Vries, Jan", "\"de Vries, Jan\""),
        ("said \"stop\"", "\"said \"\"stop\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        ("cr\rhere", "\"cr\rhere\""),
        ("", ""),
        ("+31612345678", "+31612345678"),
    ])
    func quoting(value: String, expected: String) {
        let text = value

        let field = CSVWriter.field(text)

        #expect(field == expected)
    }

    @Test("a field with a CRLF line break is quoted, so it stays one field")
    func crlfIsQuoted() throws {
        let value = "first line\r\nsecond line"

        let field = CSVWriter.field(value)

        let records = try CSVReader.records(of: Array(CSVWriter.row(["+31612345678", field]).utf8))
        #expect(field == "\"first line\r\nsecond line\"")
        #expect(records.map(\.fields) == [["+31612345678", value]])
    }

    @Test("rows read back as written, a lone empty field included (found by fuzzing)", arguments: [
        [[""]], [["a"], [""], ["b"]], [["", ""]], [["x,y", "\"q\"", "line\nbreak"]],
        // A quote followed by a combining mark is one Character but still a quote to CSV.
        [["\"\u{033B}e", "a\"\u{0301}\""]],
    ])
    func writeThenRead(rows: [[String]]) throws {
        let text = rows.map { CSVWriter.row($0.map { CSVWriter.field($0) }) }.joined()

        let records = try CSVReader.records(of: Array(text.utf8))

        #expect(records.map(\.fields) == rows)
    }

    @Test("with the formula guard, text a spreadsheet would run is prefixed with '", arguments: [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+31612345678", "'+31612345678"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        ("fine =1", "fine =1"),
    ])
    func formulaGuard(value: String, expected: String) {
        let text = value

        let field = CSVWriter.field(text, guardFormula: true)

        #expect(field == expected)
    }

    @Test("without the guard, an E.164 number and a formula are written as they are")
    func unguarded() {
        let phone = "+31612345678"

        let field = CSVWriter.field(phone, guardFormula: false)

        #expect(field == "+31612345678")
        #expect(CSVWriter.field("=SUM(A1)") == "=SUM(A1)")
    }

    @Test("a row joins fields with commas and ends with a newline")
    func row() {
        let fields = ["a", CSVWriter.field("b,c"), ""]

        let row = CSVWriter.row(fields)

        #expect(row == "a,\"b,c\",\n")
    }

    @Test("what the writer writes, the reader reads back")
    func roundTrip() throws {
        let rows = [
            ["phone", "reason", "text"],
            ["+31612345678", "other", "said \"stop\", twice\nthen left"],
            ["+4915123456789", "", "слишком много 🏳️‍🌈"],
        ]
        let text = rows.map { CSVWriter.row($0.map { CSVWriter.field($0) }) }.joined()

        let records = try CSVReader.records(of: Array(text.utf8))

        #expect(records.map(\.fields) == rows)
    }
}
