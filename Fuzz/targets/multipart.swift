/// Any bytes as a `multipart/form-data` body with a fixed boundary: never a crash, the limits
/// hold, and what is read, written again, reads back the same parts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let limits = MultipartForm.Limits(parts: 8, headerBytes: 256)
    guard let parts = try? MultipartForm.parse(bytes, boundary: "b0undary", limits: limits) else { return 0 }
    precondition(parts.count <= limits.parts, "no more parts than the limit")
    precondition(parts.allSatisfy { !$0.name.isEmpty }, "every part has a name")
    let written = MultipartForm.write(parts, boundary: "b0undary")
    precondition((try? MultipartForm.parse(written, boundary: "b0undary")) == parts, "write then read must be the identity")
    return 0
}
