/// One recipient line of a CSV body: its line number, the phone cell as written, and the other
/// columns the caller asked for.
public struct RecipientLine: Equatable, Sendable {
    public var line: Int
    public var phone: String
    /// The caller's extra columns by name; a column the file lacks, or a cell a line lacks, is "".
    public var extras: [String: String]

    public init(line: Int, phone: String, extras: [String: String] = [:]) {
        self.line = line
        self.phone = phone
        self.extras = extras
    }

    public subscript(column: String) -> String { extras[column] ?? "" }
}

public enum RecipientCSVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not CSV (an open quote, invalid UTF-8, an endless record).
    case invalidCSV(CSVError)
    /// The first line names columns, none of them a phone column.
    case missingPhoneColumn(header: [String])
    /// Nothing at all was sent.
    case empty

    /// The error code an API answers with.
    public var code: String {
        switch self {
        case .invalidCSV, .empty: "invalid_csv"
        case .missingPhoneColumn: "missing_phone_column"
        }
    }

    /// The line the error was found on, when it has one.
    public var line: Int? {
        switch self {
        case .invalidCSV(.unterminatedQuote(let line)), .invalidCSV(.invalidUTF8(let line)), .invalidCSV(.recordTooLong(let line)): line
        case .missingPhoneColumn: 1
        case .empty: nil
        }
    }

    public var description: String {
        switch self {
        case .invalidCSV(let error): error.description
        case .missingPhoneColumn(let header): CSVHeader.missingColumnMessage("phone", header: header)
        case .empty: "the body is empty: send a header line with a phone column, or one number a line"
        }
    }
}

/// Reads a CSV of recipients, fed in chunks, with one rule for every caller (link issuing by API
/// and CLI, opt-out imports, message preparation): the first line is a header when it names a
/// phone column (`phone`, or one of the common other names) or holds no digit at all, and then a
/// header without a phone column is an error; otherwise the file has no header and the numbers
/// are in the first column, with the extra columns after them in the caller's order.
public struct RecipientCSVReader: Sendable {
    /// The names a phone column goes by, most specific first.
    public static let phoneColumnNames = ["phone", "phone_number", "msisdn", "mobile", "number", "to"]
    /// Lines handed to the store per transaction by every bulk caller: large enough that commits
    /// and checkpoints are rare (20,000 made a million-link issue 40% slower: each random index
    /// page is written back once per batch that touches it), small enough to keep memory flat.
    public static let batchSize = 100_000

    public enum Layout: Equatable, Sendable {
        /// The first line names the columns; the phone column's index and the extras' indices.
        case header(phone: Int, extras: [String: Int])
        /// No header: the phone in the first column, the extras after it.
        case numbersOnly
    }

    private var csv = CSVReader()
    private let extraColumns: [String]
    /// Known once the first line is read.
    public private(set) var layout: Layout?

    /// `extraColumns`: other columns to read by name (or by position after the phone in a
    /// header-less file), such as `opted_out_at` and `reason` of an import.
    public init(extraColumns: [String] = []) {
        self.extraColumns = extraColumns
    }

    /// The recipient lines completed by `chunk`; throws when the first line is a header without
    /// a phone column, or when the bytes are not CSV.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(RecipientCSVError) -> [RecipientLine] {
        let records: [CSVRecord]
        do {
            records = try csv.feed(chunk)
        } catch {
            throw .invalidCSV(error)
        }
        return try lines(of: records)
    }

    /// The last line, if it had no line end; throws `.empty` when nothing was read at all.
    public mutating func finish() throws(RecipientCSVError) -> [RecipientLine] {
        let records: [CSVRecord]
        do {
            records = try csv.finish()
        } catch {
            throw .invalidCSV(error)
        }
        let lines = try lines(of: records)
        if layout == nil { throw .empty }
        return lines
    }

    /// Every recipient line of a whole body.
    public static func read(_ body: some Sequence<UInt8>, extraColumns: [String] = []) throws(RecipientCSVError) -> [RecipientLine] {
        var reader = RecipientCSVReader(extraColumns: extraColumns)
        return try reader.feed(body) + reader.finish()
    }

    private mutating func lines(of records: [CSVRecord]) throws(RecipientCSVError) -> [RecipientLine] {
        var lines: [RecipientLine] = []
        lines.reserveCapacity(records.count)
        for record in records {
            guard let layout else {
                let layout = try Self.layout(ofFirst: record.fields, extraColumns: extraColumns)
                self.layout = layout
                if case .numbersOnly = layout { lines.append(line(record, layout: layout)) }
                continue
            }
            lines.append(line(record, layout: layout))
        }
        return lines
    }

    private func line(_ record: CSVRecord, layout: Layout) -> RecipientLine {
        let fields = record.fields
        let cell = { (index: Int?) -> String in index.flatMap { fields.indices.contains($0) ? fields[$0] : nil } ?? "" }
        switch layout {
        case .header(let phone, let extras):
            var values: [String: String] = [:]
            for (name, index) in extras { values[name] = cell(index) }
            return RecipientLine(line: record.line, phone: cell(phone), extras: values)
        case .numbersOnly:
            var values: [String: String] = [:]
            for (offset, name) in extraColumns.enumerated() { values[name] = cell(offset + 1) }
            return RecipientLine(line: record.line, phone: cell(0), extras: values)
        }
    }

    static func layout(ofFirst fields: [String], extraColumns: [String]) throws(RecipientCSVError) -> Layout {
        if let phone = phoneColumnNames.lazy.compactMap({ CSVHeader.column($0, in: fields) }).first {
            var extras: [String: Int] = [:]
            for name in extraColumns { extras[name] = CSVHeader.column(name, in: fields) }
            return .header(phone: phone, extras: extras)
        }
        // A line without a single digit cannot hold a number: it names columns, none of them a phone.
        if !fields.joined().contains(where: \.isNumber) { throw .missingPhoneColumn(header: fields) }
        return .numbersOnly
    }
}
