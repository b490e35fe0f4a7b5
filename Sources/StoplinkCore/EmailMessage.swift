import Foundation

/// A plain-text UTF-8 email, built so that nothing taken from data can add a header: addresses
/// are checked (`EmailAddress`), the subject loses its line breaks and is RFC 2047-encoded
/// when it is not printable ASCII, and the body is quoted-printable (7-bit, lines of at most
/// 76 characters), so neither a line break nor a lone dot from data reaches the wire as such.
public struct EmailMessage: Equatable, Sendable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String
    public var date: Date
    /// Without the angle brackets: `local@domain`.
    public var messageID: String

    public init(from: String, to: String, subject: String, body: String, date: Date, messageID: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case badAddress(field: String)
        case badMessageID

        public var description: String {
            switch self {
            case .badAddress(let field): "the \(field) address is not a plain email address"
            case .badMessageID: "the message id is not of the form local@domain"
            }
        }
    }

    /// The message as sent after DATA (before dot-stuffing): headers and body with CRLF line ends.
    public func rendered() throws -> String {
        guard EmailAddress.isValid(from) else { throw Problem.badAddress(field: "From") }
        guard EmailAddress.isValid(to) else { throw Problem.badAddress(field: "To") }
        guard EmailAddress.isValid(messageID) else { throw Problem.badMessageID }
        let headers = [
            "Date: \(Self.rfc5322Date(date))",
            "From: <\(from)>",
            "To: <\(to)>",
            "Subject: \(Self.encodedHeaderText(subject))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + QuotedPrintable.encode(body)
    }

    /// A new message id at `domain` (the sender's), unique by its random part.
    public static func newMessageID(domain: String) -> String {
        "\(UUID().uuidString.lowercased())@\(domain)"
    }

    static func rfc5322Date(_ date: Date) -> String {
        formatUTC(date, "EEE, dd MMM yyyy HH:mm:ss '+0000'")
    }

    /// `date` in UTC by a fixed pattern, in English whatever the machine's locale.
    public static func formatUTC(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }

    /// Header text on one logical line: control characters (CR and LF among them) become spaces;
    /// anything but printable ASCII, or text that looks like an encoded word, is sent as RFC 2047
    /// base64 words of at most 75 characters, folded with CRLF and a space.
    public static func encodedHeaderText(_ text: String) -> String {
        let flat = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" ? " " : scalar
        }))
        let plain = flat.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
        if plain && !flat.contains("=?") && flat.utf8.count <= 900 { return flat }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in flat {
            let bytes = Array(String(character).utf8)
            // 45 bytes make 60 base64 characters: with "=?UTF-8?B?" and "?=" a word stays under 75.
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk.removeAll()
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }
}

/// Quoted-printable (RFC 2045 6.7) of UTF-8 text, with CRLF line ends whatever the input used.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false).map { encodeLine(Array($0.utf8)) }
            .joined(separator: "\r\n")
    }

    static func encodeLine(_ bytes: [UInt8]) -> String {
        var lines: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let token: String
            // A space or tab at the end of a line would be lost in transit: encode it.
            if (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !isLast) {
                token = String(UnicodeScalar(byte))
            } else {
                token = String(format: "=%02X", byte)
            }
            // 75 characters and a soft break "=" make the 76 the standard allows.
            if current.count + token.count > 75 {
                lines.append(current + "=")
                current = ""
            }
            current += token
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }
}

/// What the SMTP DATA command carries: CRLF line ends, a dot doubled at the start of a line,
/// and the closing `.` line.
public enum SMTPData {
    public static func stuffed(_ message: String) -> String {
        let normalized = message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(".") ? "." + line : String(line)
        }
        return lines.joined(separator: "\r\n") + "\r\n.\r\n"
    }
}
