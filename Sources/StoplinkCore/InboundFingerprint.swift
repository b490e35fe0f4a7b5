import Crypto
import Foundation

/// What makes two deliveries under one gateway message id the same message: the sender, the
/// number it was sent to and the text. A gateway's retry has the same fingerprint; another
/// message that reuses the id does not.
public enum InboundFingerprint {
    public static func of(from: String, to: String, text: String) -> String {
        var hasher = SHA256()
        for part in [from, to, text] {
            hasher.update(data: Data(part.utf8))
            // A separator no part holds, so that ("ab", "c") and ("a", "bc") differ.
            hasher.update(data: Data([0]))
        }
        return Hex.encode(hasher.finalize())
    }
}
