/// Any text as an SMS reply, with company words taken from the same bytes: never a crash, and a
/// whole-message keyword is read the same in upper case and with trailing spaces.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReply(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let words = text.split(separator: "\n").prefix(3).map(String.init)
    let reader = ReplyReader(extraOptOut: words, extraOptIn: [], extraHelp: [])
    let intent = reader.read(text)
    if case .optOut = intent {
        // Spaces go after the text: before it, a leading combining mark would join the space.
        precondition(reader.read(text.uppercased() + "  ") == intent || text.uppercased().count != text.count,
                     "case and trailing spaces must not change an opt-out")
    }
    _ = ReplyReader().read(text)
    return 0
}
