/// A `multipart/form-data` body (RFC 7578) as browsers send a form with a file: read strictly,
/// whole, from a body the caller has already bounded. Only what a form needs is accepted: CRLF
/// line ends, every part named by a `Content-Disposition: form-data` header, no preamble, at
/// most `Limits.parts` parts with at most `Limits.headerBytes` of headers each.
public enum MultipartForm {
    public struct Part: Equatable, Sendable {
        public var name: String
        /// Set for a file field (possibly empty when no file was chosen).
        public var filename: String?
        public var contentType: String?
        public var body: [UInt8]

        public init(name: String, filename: String? = nil, contentType: String? = nil, body: [UInt8]) {
            self.name = name
            self.filename = filename
            self.contentType = contentType
            self.body = body
        }

        /// The body as UTF-8 text; nil when it is not.
        public var text: String? { String(validating: body, as: UTF8.self) }
    }

    public struct Limits: Equatable, Sendable {
        public var parts: Int
        public var headerBytes: Int

        public init(parts: Int = 16, headerBytes: Int = 4 * 1024) {
            self.parts = parts
            self.headerBytes = headerBytes
        }
    }

    public enum ReadError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The content type is not `multipart/form-data`, or names no usable boundary.
        case notFormData
        /// The body does not start with the boundary, or never closes it.
        case missingBoundary
        /// A part's headers are not `Name: value` lines ended by an empty line.
        case malformedHeaders
        /// A part has no `Content-Disposition: form-data` with a name.
        case unnamedPart
        case tooManyParts
        case headersTooLong
        /// Something other than a line end follows the closing boundary.
        case trailingData

        public var description: String {
            switch self {
            case .notFormData: "the body is not multipart/form-data with a boundary"
            case .missingBoundary: "the body does not start or end with its boundary"
            case .malformedHeaders: "a part's headers cannot be read"
            case .unnamedPart: "a part has no form-data name"
            case .tooManyParts: "the form has too many parts"
            case .headersTooLong: "a part's headers are too long"
            case .trailingData: "there is data after the closing boundary"
            }
        }
    }

    /// The boundary of a `Content-Type: multipart/form-data; boundary=...` value (quoted or not;
    /// 1 to 70 characters of those RFC 2046 allows, not ending in a space).
    public static func boundary(contentType: String) throws(ReadError) -> String {
        let parameters = contentType.split(separator: ";", omittingEmptySubsequences: false)
        guard let type = parameters.first, type.trimmingASCIISpaces().lowercased() == "multipart/form-data" else {
            throw .notFormData
        }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingASCIISpaces().lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingASCIISpaces()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count), value.last != " ", value.unicodeScalars.allSatisfy(isBoundaryCharacter) else {
                throw .notFormData
            }
            return value
        }
        throw .notFormData
    }

    /// Every part in body order.
    public static func parse(_ body: some Collection<UInt8>, boundary: String, limits: Limits = Limits()) throws(ReadError) -> [Part] {
        let bytes = Array(body)
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        guard bytes.starts(with: dashBoundary) else { throw .missingBoundary }
        var index = dashBoundary.count
        var parts: [Part] = []
        while true {
            // After a boundary: `--` closes the body, CRLF starts a part.
            if bytes[index...].starts(with: [0x2D, 0x2D]) {
                let rest = bytes[(index + 2)...]
                guard rest.isEmpty || rest.elementsEqual([0x0D, 0x0A]) else { throw .trailingData }
                return parts
            }
            guard bytes[index...].starts(with: [0x0D, 0x0A]) else { throw .missingBoundary }
            index += 2
            guard parts.count < limits.parts else { throw .tooManyParts }
            // A part without headers cannot be named.
            if bytes[index...].starts(with: [0x0D, 0x0A]) { throw .unnamedPart }
            guard let headersEnd = firstIndex(of: [0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: index, before: index + limits.headerBytes + 4) else {
                throw bytes.count - index > limits.headerBytes ? ReadError.headersTooLong : ReadError.malformedHeaders
            }
            var part = try headers(bytes[index..<headersEnd])
            let bodyStart = headersEnd + 4
            guard let bodyEnd = firstIndex(of: delimiter, in: bytes, from: bodyStart, before: bytes.count) else {
                throw .missingBoundary
            }
            part.body = Array(bytes[bodyStart..<bodyEnd])
            parts.append(part)
            index = bodyEnd + delimiter.count
        }
    }

    /// The first value of each field name that is not a file, as text (nil values are not UTF-8).
    public static func fields(_ parts: [Part]) -> [String: String] {
        var fields: [String: String] = [:]
        for part in parts where part.filename == nil && fields[part.name] == nil {
            if let text = part.text { fields[part.name] = text }
        }
        return fields
    }

    /// A body of `parts` with `boundary`, as a browser writes it (for tests and clients).
    public static func write(_ parts: [Part], boundary: String) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            var header = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(escape(part.name))\""
            if let filename = part.filename { header += "; filename=\"\(escape(filename))\"" }
            if let type = part.contentType { header += "\r\nContent-Type: \(type)" }
            out += Array((header + "\r\n\r\n").utf8)
            out += part.body
            out += Array("\r\n".utf8)
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
    }

    // MARK: Parts' headers

    private static func headers(_ bytes: ArraySlice<UInt8>) throws(ReadError) -> Part {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformedHeaders }
        var disposition: (name: String, filename: String?)?
        var contentType: String?
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":"), !line.contains("\r"), !line.contains("\n") else { throw .malformedHeaders }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingASCIISpaces()
            guard !name.isEmpty, !name.contains(" ") else { throw .malformedHeaders }
            switch name {
            case "content-disposition":
                guard disposition == nil else { throw .malformedHeaders }
                disposition = try formData(value)
            case "content-type":
                contentType = value
            default:
                continue
            }
        }
        guard let disposition else { throw .unnamedPart }
        return Part(name: disposition.name, filename: disposition.filename, contentType: contentType, body: [])
    }

    /// `form-data; name="field"; filename="list.csv"`: the name (required) and the filename.
    private static func formData(_ value: String) throws(ReadError) -> (name: String, filename: String?) {
        var scanner = ParameterScanner(Array(value.unicodeScalars))
        guard scanner.token()?.lowercased() == "form-data" else { throw .unnamedPart }
        var name: String?
        var filename: String?
        while !scanner.atEnd {
            guard scanner.skip(";"), let key = scanner.token(), scanner.skip("=") else { throw .malformedHeaders }
            guard let parameter = scanner.quoted() ?? scanner.token() else { throw .malformedHeaders }
            switch key.lowercased() {
            case "name" where name == nil: name = parameter
            case "filename" where filename == nil: filename = parameter
            case "name", "filename": throw .malformedHeaders
            default: continue
            }
        }
        guard let name, !name.isEmpty else { throw .unnamedPart }
        return (name, filename)
    }

    private struct ParameterScanner {
        let scalars: [Unicode.Scalar]
        var index = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var atEnd: Bool {
            mutating get { skipSpaces(); return index == scalars.count }
        }

        mutating func skipSpaces() {
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        }

        mutating func skip(_ scalar: Unicode.Scalar) -> Bool {
            skipSpaces()
            guard index < scalars.count, scalars[index] == scalar else { return false }
            index += 1
            return true
        }

        /// An RFC 7230 token.
        mutating func token() -> String? {
            skipSpaces()
            let start = index
            while index < scalars.count, scalars[index].isASCII, scalars[index].value > 0x20,
                  !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains(scalars[index]) { index += 1 }
            guard index > start else { return nil }
            return String(String.UnicodeScalarView(scalars[start..<index]))
        }

        /// A quoted string with backslash escapes (browsers percent-encode `"` instead; both read).
        mutating func quoted() -> String? {
            skipSpaces()
            guard index < scalars.count, scalars[index] == "\"" else { return nil }
            var out = String.UnicodeScalarView()
            var position = index + 1
            while position < scalars.count {
                let scalar = scalars[position]
                if scalar == "\"" {
                    index = position + 1
                    return String(out)
                }
                if scalar == "\\" {
                    position += 1
                    guard position < scalars.count else { return nil }
                }
                out.append(scalars[position])
                position += 1
            }
            return nil
        }
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// RFC 2046 `bchars`.
    private static func isBoundaryCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        if ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) { return true }
        return "'()+_,-./:=? ".unicodeScalars.contains(scalar)
    }

    /// Where `needle` first starts in `bytes[from..<before]` (it may run past `before`), or nil.
    /// The delimiter's CR cannot occur inside a boundary, so this stays linear in practice.
    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int, before: Int) -> Int? {
        let last = min(before, bytes.count - needle.count + 1)
        guard from < last, let first = needle.first else { return nil }
        var index = from
        while index < last {
            if bytes[index] == first, bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate func trimmingASCIISpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
