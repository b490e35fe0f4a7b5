/// Any bytes as a phone number, read with a default country and without: never a crash, and an
/// answer always reads back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPhone(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    for region in ["NL", "US", "AR", nil] as [String?] {
        guard let number = try? PhoneNumber(parsing: text, defaultRegion: region) else { continue }
        let again = try? PhoneNumber(parsing: number.e164, defaultRegion: nil)
        precondition(again == number, "an E.164 answer must read back to itself")
        precondition(!PhoneNumber.mask(number.e164).contains(number.e164), "a mask must hide the number")
    }
    return 0
}
