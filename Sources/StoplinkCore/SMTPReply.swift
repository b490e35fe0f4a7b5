/// One SMTP reply, possibly of many lines (`250-first`, `250-second`, `250 last`).
public struct SMTPReply: Equatable, Sendable {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    public var isPermanentFailure: Bool { (500..<600).contains(code) }
    public var text: String { lines.joined(separator: " ") }

    /// The EHLO extensions, upper-cased keywords (`STARTTLS`, `AUTH`), each with its parameters.
    public var extensions: [String: [String]] {
        var found: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first else { continue }
            found[keyword.uppercased()] = words.dropFirst().map { $0.uppercased() }
        }
        return found
    }

    /// Collects reply lines until a reply is complete.
    public struct Reader: Sendable {
        private var code: Int?
        private var lines: [String] = []

        public init() {}

        public enum Problem: Error, Equatable {
            case malformed(String)
        }

        /// Adds one line (without its CRLF); answers the reply when this line ends it.
        public mutating func add(_ line: String) throws -> SMTPReply? {
            let scalars = Array(line.utf8)
            guard scalars.count >= 3, let code = Int(String(decoding: scalars[0..<3], as: UTF8.self)), (200..<600).contains(code),
                  scalars.count == 3 || scalars[3] == UInt8(ascii: " ") || scalars[3] == UInt8(ascii: "-") else {
                throw Problem.malformed(String(line.prefix(80)))
            }
            if let started = self.code, started != code { throw Problem.malformed(String(line.prefix(80))) }
            self.code = code
            lines.append(scalars.count > 4 ? String(decoding: scalars[4...], as: UTF8.self) : "")
            guard scalars.count == 3 || scalars[3] == UInt8(ascii: " ") else { return nil }
            let reply = SMTPReply(code: code, lines: lines)
            self = Reader()
            return reply
        }
    }
}
