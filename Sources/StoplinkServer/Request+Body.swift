import Hummingbird
import NIOCore

extension Request {
    /// The whole body, or a 413 `body_too_large` saying `limit` when it is longer than `limit` bytes.
    func collectBody(upTo limit: Int, limit description: String) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", description)
        }
    }

    /// The body is CSV (`Content-Type: text/csv`, any parameters).
    var sendsCSV: Bool {
        headers[.contentType]?.lowercased().hasPrefix("text/csv") ?? false
    }

    /// The client asks for a CSV answer (`Accept` names `text/csv`).
    var acceptsCSV: Bool {
        headers[.accept]?.lowercased().contains("text/csv") ?? false
    }
}
