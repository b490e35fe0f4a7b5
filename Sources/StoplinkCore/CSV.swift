import Foundation

/// One record of a CSV file and the line it starts on (1-based, counting the header).
public struct CSVRecord: Equatable, Sendable {
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

public enum CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    case unterminatedQuote(line: Int)
    case invalidUTF8(line: Int)
    case recordTooLong(line: Int)

    public var description: String {
        switch self {
        case .unterminatedQuote(let line): "a quoted field opened on line \(line) is never closed"
        case .invalidUTF8(let line): "line \(line) is not UTF-8 text"
        case .recordTooLong(let line): "the record on line \(line) is longer than \(CSVReader.maximumRecordBytes) bytes"
        }
    }
}

/// An RFC 4180 reader fed in chunks, so a file of any size is read in constant memory.
/// Accepts a UTF-8 byte order mark, CRLF or LF line ends, and quoted fields with `""` escapes.
public struct CSVReader: Sendable {
    public static let maximumRecordBytes = 64 * 1024

    private var field: [UInt8] = []
    private var fields: [String] = []
    private var inQuotes = false
    private var quoteJustClosed = false
    private var atRecordStart = true
    private var pendingCR = false
    private var line = 1
    private var recordLine = 1
    private var recordBytes = 0
    private var sawFirstBytes = false
    private var bomCandidate: [UInt8] = []

    public init() {}

    /// Reads what it can of `chunk`; records split across chunks come out with a later call.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(CSVError) -> [CSVRecord] {
        var records: [CSVRecord] = []
        for byte in chunk {
            if !sawFirstBytes {
                bomCandidate.append(byte)
                if bomCandidate == Array([0xEF, 0xBB, 0xBF].prefix(bomCandidate.count)) {
                    if bomCandidate.count == 3 { sawFirstBytes = true; bomCandidate = [] }
                    continue
                }
                sawFirstBytes = true
                let pending = bomCandidate
                bomCandidate = []
                for b in pending { try consume(b, into: &records) }
                continue
            }
            try consume(byte, into: &records)
        }
        return records
    }

    /// Ends the input: the last record without a line end, or an error for an open quote.
    public mutating func finish() throws(CSVError) -> [CSVRecord] {
        var records: [CSVRecord] = []
        if !sawFirstBytes {
            sawFirstBytes = true
            let pending = bomCandidate
            bomCandidate = []
            for b in pending { try consume(b, into: &records) }
        }
        if inQuotes { throw .unterminatedQuote(line: recordLine) }
        if !atRecordStart {
            try endField()
            records.append(endRecord())
        }
        return records
    }

    private mutating func consume(_ byte: UInt8, into records: inout [CSVRecord]) throws(CSVError) {
        if atRecordStart {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                // Blank lines between records are skipped; CRLF counts as one line end.
                if byte == UInt8(ascii: "\n") {
                    if !pendingCR { line += 1 }
                    pendingCR = false
                } else {
                    line += 1
                    pendingCR = true
                }
                return
            }
            pendingCR = false
            atRecordStart = false
            recordLine = line
            recordBytes = 0
        }
        recordBytes += 1
        if recordBytes > Self.maximumRecordBytes { throw .recordTooLong(line: recordLine) }

        if inQuotes {
            if byte == UInt8(ascii: "\"") {
                inQuotes = false
                quoteJustClosed = true
            } else {
                if byte == UInt8(ascii: "\n") { line += 1 }
                field.append(byte)
            }
            return
        }
        switch byte {
        case UInt8(ascii: "\""):
            if quoteJustClosed {
                field.append(byte)  // "" inside a quoted field
                inQuotes = true
                quoteJustClosed = false
            } else if field.isEmpty {
                inQuotes = true
            } else {
                field.append(byte)  // a stray quote inside an unquoted field is kept as text
            }
        case UInt8(ascii: ","):
            quoteJustClosed = false
            try endField()
        case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
            quoteJustClosed = false
            try endField()
            records.append(endRecord())
            line += 1
            pendingCR = byte == UInt8(ascii: "\r")
        default:
            quoteJustClosed = false
            field.append(byte)
        }
    }

    private mutating func endField() throws(CSVError) {
        guard let text = String(validating: field, as: UTF8.self) else { throw .invalidUTF8(line: recordLine) }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord() -> CSVRecord {
        let record = CSVRecord(line: recordLine, fields: fields)
        fields.removeAll(keepingCapacity: true)
        atRecordStart = true
        return record
    }

    /// Reads a whole text at once.
    public static func records(of text: some Sequence<UInt8>) throws(CSVError) -> [CSVRecord] {
        var reader = CSVReader()
        var records = try reader.feed(text)
        records += try reader.finish()
        return records
    }
}

/// Writes CSV fields, quoting where needed.
public enum CSVWriter {
    /// A field as it goes into a row. `guardFormula` prefixes free text a spreadsheet would run as
    /// a formula (`=`, `+`, `-`, `@`, tab, CR at the start) with `'`; E.164 numbers are left as they are.
    public static func field(_ value: String, guardFormula: Bool = false) -> String {
        var value = value
        if guardFormula, let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            value = "'" + value
        }
        // Scalars, not Characters: "\r\n" is one Character equal to neither "\r" nor "\n".
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        // Quotes are doubled scalar by scalar: a quote followed by a combining mark is one
        // Character, which a Character-level replace would leave single.
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in value.unicodeScalars {
            if scalar == "\"" { quoted.append(scalar) }
            quoted.append(scalar)
        }
        quoted.append("\"")
        return String(quoted)
    }

    public static func row(_ fields: [String]) -> String {
        // A lone empty field written bare would be a blank line, which readers skip.
        if fields == [""] { return "\"\"\n" }
        return fields.joined(separator: ",") + "\n"
    }
}

/// Finding named columns in a CSV header.
public enum CSVHeader {
    public static func column(_ name: String, in header: [String]) -> Int? {
        header.firstIndex { $0.trimmingCharacters(in: .whitespaces).lowercased() == name }
    }

    public static func missingColumnMessage(_ name: String, header: [String]) -> String {
        let line = header.joined(separator: ",")
        for delimiter in [";", "\t", "|"] where line.contains(delimiter) {
            let printable = delimiter == "\t" ? "tab" : "'\(delimiter)'"
            return "no \(name) column in the header; the fields look separated by \(printable): separate them with commas"
        }
        return "no \(name) column in the header line (\(String(line.prefix(100))))"
    }
}
