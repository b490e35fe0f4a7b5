import Foundation

/// What is read from strangers in a signed gateway request, apart from the MAC check itself
/// (which is swift-crypto's): the Standard Webhooks headers and secret, and Twilio's signed text.
/// Kept free of swift-crypto so the fuzzers build it (`Fuzz/targets/*-signature.swift`).
public enum SignatureHeaders {
    /// At most this many signatures of one `webhook-signature` header are checked: a header of
    /// thousands would otherwise cost thousands of HMACs.
    public static let maximumSignatures = 8

    /// The MACs of the `v1,<base64>` entries of a `webhook-signature` header (space-separated;
    /// other versions and unreadable entries are skipped), the first `maximumSignatures` of them.
    public static func webhookSignatures(_ header: String) -> [Data] {
        var macs: [Data] = []
        for candidate in header.split(separator: " ", omittingEmptySubsequences: true) {
            guard macs.count < maximumSignatures else { break }
            guard candidate.hasPrefix("v1,"), let mac = Data(base64Encoded: String(candidate.dropFirst(3))), !mac.isEmpty else {
                continue
            }
            macs.append(mac)
        }
        return macs
    }

    /// `webhook-timestamp`: whole seconds since 1970, digits only (no sign, no spaces).
    public static func webhookTimestamp(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// The key bytes of a `whsec_...` secret (the prefix is optional), or nil.
    public static func webhookSecretKey(_ secret: String) -> Data? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let data = Data(base64Encoded: encoded), !data.isEmpty else { return nil }
        return data
    }

    /// What Standard Webhooks signs: `{id}.{timestamp}.{body}`.
    public static func webhookMessage(id: String, timestamp: Int, body: Data) -> Data {
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        return message
    }

    /// `X-Twilio-Signature`: a base64 HMAC-SHA1 (20 bytes), or nil.
    public static func twilioSignature(_ header: String) -> Data? {
        guard let mac = Data(base64Encoded: header), mac.count == 20 else { return nil }
        return mac
    }

    /// What Twilio signs: the URL, then every parameter's name and value, sorted by name (then value).
    public static func twilioMessage(url: String, parameters: [(String, String)]) -> Data {
        var message = url
        for (name, value) in parameters.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            message += name + value
        }
        return Data(message.utf8)
    }

    /// `url` as configured, and the same URL with its default port written out or left off
    /// (Twilio signs the URL as it called it).
    public static func twilioURLVariants(_ url: String) -> [String] {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return [url] }
        let defaultPort = scheme == "https" ? 443 : 80
        if components.port == defaultPort {
            components.port = nil
        } else if components.port == nil {
            components.port = defaultPort
        } else {
            return [url]
        }
        return [url, components.string ?? url]
    }
}
