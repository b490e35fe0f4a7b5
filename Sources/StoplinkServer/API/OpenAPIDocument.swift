import Foundation
import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document kept in the repository (`Public/openapi.json`).
struct OpenAPIDocument: Sendable {
    let resourcesDirectory: String

    @Sendable func serve(request: Request, context: AppRequestContext) async throws -> Response {
        let path = URL(fileURLWithPath: resourcesDirectory).appendingPathComponent("Public/openapi.json")
        guard let data = FileManager.default.contents(atPath: path.path) else {
            throw APIError(.internalServerError, "internal_error", "the OpenAPI document is missing from Public/")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "public, max-age=300"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
