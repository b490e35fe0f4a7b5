import Crypto
import Foundation

/// The `webhook-id` (and payload `id`) of a consent event: `evt_` and a keyed hash of its
/// sequence number. The same for every attempt of one event, so receivers can deduplicate, and
/// meaningless to them: the sequence counts every company's events, and `evt_<seq>` told each
/// company how many events the others had.
public struct WebhookEventID: Sendable {
    /// Bytes rather than a `SymmetricKey`, which is not `Sendable`.
    private let keyBytes: Data

    /// `secret` is the server's signing secret; the key is derived from it for this use alone.
    public init(secret: Data) {
        keyBytes = Data(SHA256.hash(data: Data("stoplink webhook event id".utf8) + secret))
    }

    public func id(ofSeq seq: Int64) -> String {
        "evt_" + Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(String(seq).utf8), using: SymmetricKey(data: keyBytes)).prefix(16))
    }
}
