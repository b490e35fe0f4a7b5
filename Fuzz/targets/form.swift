/// Any bytes as an `application/x-www-form-urlencoded` body: never a crash, and the fields are
/// the pairs' first values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForm(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let pairs = try? FormBody.pairs(bytes) else { return 0 }
    let fields = FormBody.fields(pairs)
    for (name, value) in pairs where fields[name] != value {
        precondition(pairs.first { $0.0 == name }?.1 == fields[name], "a field is its first value")
    }
    return 0
}
