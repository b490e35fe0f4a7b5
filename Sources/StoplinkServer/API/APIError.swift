import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An API failure as the client sees it: `{"error": {"code", "message", "details"}}`.
public struct APIError: Error, HTTPResponseError, Sendable {
    public struct Detail: Codable, Equatable, Sendable {
        public var field: String?
        public var line: Int?
        public var reason: String

        public init(field: String? = nil, line: Int? = nil, reason: String) {
            self.field = field
            self.line = line
            self.reason = reason
        }
    }

    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [Detail]
    /// Sent with the answer (`Retry-After` on a 429).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [Detail] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    private struct Envelope: Encodable {
        struct Body: Encodable {
            var code: String
            var message: String
            var details: [Detail]
        }
        var error: Body
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try APIJSON.encoder.encode(Envelope(error: .init(code: code, message: message, details: details)))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status, headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) not found") }
    static let unauthorized = APIError(
        .unauthorized, "unauthorized", "a valid API key is required: Authorization: Bearer sk_..."
    )
    static func rateLimited(retryAfter: Int) -> APIError {
        APIError(
            .tooManyRequests, "rate_limited", "too many requests; try again in \(retryAfter) s",
            headers: [.retryAfter: String(retryAfter)]
        )
    }
    static func invalid(_ field: String, _ reason: String) -> APIError {
        APIError(.unprocessableContent, "invalid_field", "\(field): \(reason)", details: [Detail(field: field, reason: reason)])
    }
}
