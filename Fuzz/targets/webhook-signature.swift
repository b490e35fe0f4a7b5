import Foundation

/// Any bytes as the three Standard Webhooks headers and a secret (split at the first three
/// newlines): never a crash; every MAC read back is one of the header's `v1,` entries, there are
/// never more than the cap, and a timestamp reads only from digits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhookSignature(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let parts = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
    let header = parts[0]
    let timestamp = parts.count > 1 ? parts[1] : ""
    let secret = parts.count > 2 ? parts[2] : ""
    let body = Data((parts.count > 3 ? parts[3] : "").utf8)

    let macs = SignatureHeaders.webhookSignatures(header)
    precondition(macs.count <= SignatureHeaders.maximumSignatures, "more signatures than the cap")
    let entries = Set(header.split(separator: " ").map(String.init))
    for mac in macs {
        precondition(!mac.isEmpty)
        precondition(
            entries.contains { $0.hasPrefix("v1,") && Data(base64Encoded: String($0.dropFirst(3))) == mac },
            "a MAC that is not one of the header's v1 entries"
        )
    }
    if let seconds = SignatureHeaders.webhookTimestamp(timestamp) {
        precondition(seconds >= 0 && timestamp.utf8.allSatisfy { (0x30...0x39).contains($0) }, "a timestamp read from more than digits")
    }
    if let key = SignatureHeaders.webhookSecretKey(secret) { precondition(!key.isEmpty) }
    let message = SignatureHeaders.webhookMessage(id: header, timestamp: 1, body: body)
    precondition(message.count == header.utf8.count + 3 + body.count, "the signed text is id.timestamp.body")
    return 0
}
