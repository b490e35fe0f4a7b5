/// Any bytes as CSV: fed whole or in two chunks split anywhere, the reader gives the same
/// records or the same error; what it reads, written again, reads back the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let whole = Result { () throws(CSVError) in try CSVReader.records(of: bytes) }
    let split = count == 0 ? 0 : Int(bytes[0]) % (count + 1)
    let chunked = Result { () throws(CSVError) -> [CSVRecord] in
        var reader = CSVReader()
        return try reader.feed(bytes[..<split]) + reader.feed(bytes[split...]) + reader.finish()
    }
    switch (whole, chunked) {
    case (.success(let a), .success(let b)): precondition(a == b, "chunking changed the records")
    case (.failure(let a), .failure(let b)): precondition(a == b, "chunking changed the error")
    default: preconditionFailure("chunking changed success into failure")
    }
    if case .success(let records) = whole, !records.isEmpty {
        let fields = records.map(\.fields)
        // Written after a byte order mark, as spreadsheets save it: the reader takes a leading
        // U+FEFF for one, so a first field that starts with U+FEFF needs it to survive.
        let written = "\u{FEFF}" + fields.map { CSVWriter.row($0.map { CSVWriter.field($0) }) }.joined()
        let reread = try? CSVReader.records(of: Array(written.utf8)).map(\.fields)
        precondition(reread == fields, "write then read must be the identity")
    }
    _ = try? RecipientCSVReader.read(bytes, extraColumns: ["opted_out_at", "reason"])
    return 0
}
