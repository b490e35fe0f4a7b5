import Foundation
import NIOCore

/// Writes JSON straight into a `ByteBuffer`, for answers too large to go through `JSONEncoder`
/// quickly (a 10,000-number check spent a third of its time in the encoder's key conversion and
/// dynamic casts). The caller writes keys in the order `APIJSON.encoder` would (sorted) and
/// leaves out absent values, as the encoder does, so both produce the same document.
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    private var needsComma = false

    init(capacity: Int = 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func beginObject() {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        buffer.writeInteger(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray(_ key: String) {
        writeKey(key)
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        buffer.writeInteger(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func field(_ key: String, _ value: String?) {
        guard let value else { return }
        writeKey(key)
        writeString(value)
        needsComma = true
    }

    mutating func field(_ key: String, _ value: Bool?) {
        guard let value else { return }
        writeKey(key)
        buffer.writeString(value ? "true" : "false")
        needsComma = true
    }

    mutating func field(_ key: String, _ value: Date?) {
        guard let value else { return }
        writeKey(key)
        buffer.writeInteger(UInt8(ascii: "\""))
        APIJSON.writeTimestamp(value, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
    }

    private mutating func writeKey(_ key: String) {
        separate()
        writeString(key)
        buffer.writeInteger(UInt8(ascii: ":"))
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else
    /// (slashes and non-ASCII included) as UTF-8, as `APIJSON.encoder` writes it.
    private mutating func writeString(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeString("\\\\")
                case 0x0A: buffer.writeString("\\n")
                case 0x0D: buffer.writeString("\\r")
                case 0x09: buffer.writeString("\\t")
                case 0x08: buffer.writeString("\\b")
                case 0x0C: buffer.writeString("\\f")
                default:
                    buffer.writeString("\\u00")
                    buffer.writeInteger(Self.hexDigit(byte >> 4))
                    buffer.writeInteger(Self.hexDigit(byte & 0x0F))
                }
                start = index + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
