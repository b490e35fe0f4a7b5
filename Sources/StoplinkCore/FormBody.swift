/// Reads an `application/x-www-form-urlencoded` body, refusing text that is not UTF-8.
public enum FormBody {
    public enum ReadError: Error, Equatable, Sendable {
        case invalidUTF8
        case malformedEscape
    }

    /// Field names to values; when a name repeats, the first value wins.
    public static func parse(_ body: some Collection<UInt8>) throws(ReadError) -> [String: String] {
        fields(try pairs(body))
    }

    /// Field names to values of `pairs`; when a name repeats, the first value wins.
    public static func fields(_ pairs: [(String, String)]) -> [String: String] {
        Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    /// Every field in body order, repeats kept (Twilio signs each pair as sent).
    public static func pairs(_ body: some Collection<UInt8>) throws(ReadError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0])
            let value = parts.count > 1 ? try decode(parts[1]) : ""
            pairs.append((name, value))
        }
        return pairs
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(ReadError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                let high = bytes.index(after: index)
                guard high != bytes.endIndex else { throw .malformedEscape }
                let low = bytes.index(after: high)
                guard low != bytes.endIndex, let h = hexValue(bytes[high]), let l = hexValue(bytes[low]) else {
                    throw .malformedEscape
                }
                out.append(h << 4 | l)
                index = low
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
