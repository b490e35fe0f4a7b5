import Foundation

/// Any bytes as an `X-Twilio-Signature` header, a URL and a form body (split at the first two
/// newlines): never a crash; only a 20-byte MAC is read; the signed text does not depend on the
/// order of the parameters; the URL variants are one or two, the first the URL as given.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTwilioSignature(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let lines = bytes.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false)
    let header = String(decoding: lines[0], as: UTF8.self)
    let url = lines.count > 1 ? String(decoding: lines[1], as: UTF8.self) : ""
    let form = lines.count > 2 ? Array(lines[2]) : []

    if let mac = SignatureHeaders.twilioSignature(header) { precondition(mac.count == 20) }
    let variants = SignatureHeaders.twilioURLVariants(url)
    precondition((1...2).contains(variants.count) && variants[0] == url, "variants start with the URL as given")
    guard let pairs = try? FormBody.pairs(form) else { return 0 }
    let message = SignatureHeaders.twilioMessage(url: url, parameters: pairs)
    precondition(message == SignatureHeaders.twilioMessage(url: url, parameters: pairs.reversed()), "the order of the parameters matters")
    return 0
}
