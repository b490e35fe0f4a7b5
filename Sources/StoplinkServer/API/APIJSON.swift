import Foundation
import Hummingbird
import NIOCore

/// JSON as the API speaks it: snake_case names, RFC 3339 UTC times, unknown fields refused.
enum APIJSON {
    static let maximumBodyBytes = 8 * 1024 * 1024

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }

    /// RFC 3339 in UTC with milliseconds (`2026-11-22T19:20:55.161Z`), written by hand: feed
    /// exports format millions of these, and Foundation's formatter dominated their profile.
    static func timestamp(_ date: Date) -> String {
        var buffer = ByteBuffer()
        writeTimestamp(date, to: &buffer)
        return String(buffer: buffer)
    }

    /// Writes `timestamp(date)` straight into `buffer`.
    static func writeTimestamp(_ date: Date, to buffer: inout ByteBuffer) {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let day = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        var rest = millis - day * 86_400_000
        // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let hour = rest / 3_600_000
        rest -= hour * 3_600_000
        let minute = rest / 60_000
        rest -= minute * 60_000
        let second = rest / 1000
        let milli = rest - second * 1000
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { bytes in
            func put(_ value: Int64, _ width: Int, at start: Int) {
                var value = value
                for index in stride(from: start + width - 1, through: start, by: -1) {
                    bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0); bytes[4] = UInt8(ascii: "-"); put(month, 2, at: 5); bytes[7] = UInt8(ascii: "-")
            put(dayOfMonth, 2, at: 8); bytes[10] = UInt8(ascii: "T"); put(hour, 2, at: 11); bytes[13] = UInt8(ascii: ":")
            put(minute, 2, at: 14); bytes[16] = UInt8(ascii: ":"); put(second, 2, at: 17); bytes[19] = UInt8(ascii: ".")
            put(milli, 3, at: 20); bytes[23] = UInt8(ascii: "Z")
            buffer.writeBytes(UnsafeRawBufferPointer(bytes))
        }
    }

    /// RFC 3339 with or without fractional seconds, or a plain `YYYY-MM-DD` (midnight UTC).
    static func parseTimestamp(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return text.count == 10 ? day.date(from: text) : nil
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// Reads a JSON object body into `T`, naming any field `T` does not know.
    static func decode<T: Decodable & KnownFields>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.collectBody(upTo: maximumBodyBytes, limit: "JSON bodies are limited to 8 MB")
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    static func decode<T: Decodable & KnownFields>(_ type: T.Type, from data: Data) throws -> T {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data.isEmpty ? Data("{}".utf8) : data)
        } catch {
            throw APIError(.badRequest, "invalid_json", "the body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else {
            throw APIError(.badRequest, "invalid_json", "the body must be a JSON object")
        }
        let unknown = fields.keys.filter { !T.knownFields.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw APIError(
                .unprocessableContent, "unknown_field", "unknown field\(unknown.count > 1 ? "s" : ""): \(unknown.joined(separator: ", "))",
                details: unknown.map { APIError.Detail(field: $0, reason: "not a field of this request") }
            )
        }
        do {
            return try decoder.decode(T.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw APIError.invalid(path(context.codingPath + [key]), "is required")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw APIError.invalid(path(context.codingPath), "has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw APIError.invalid(path(context.codingPath), context.debugDescription)
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }
}

/// The JSON field names a request body may have (snake_case).
protocol KnownFields {
    static var knownFields: Set<String> { get }
}
