import Crypto
import Foundation
import Hummingbird
import Logging
import StoplinkCore
import StoplinkStore
import NIOCore
import HTTPTypes

/// `GET /metrics`: the Prometheus text format, for the operator's scraper. Off unless a token is
/// configured (`--metrics-token`); then only `Authorization: Bearer <token>` may read it.
struct MetricsController: Sendable {
    let metrics: StoplinkMetrics
    let store: any Store
    let clock: any WallClock
    /// nil when metrics are off.
    let token: String?

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("metrics", use: scrape)
    }

    @Sendable func scrape(request: Request, context: AppRequestContext) async throws -> Response {
        guard let token else {
            return Self.text(.notFound, "metrics are off: start stoplink serve with --metrics-token\n")
        }
        let header = request.headers[.authorization] ?? ""
        let given = header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst("bearer ".count)) : ""
        // Digests compare in constant time; comparing them says nothing about the token's length.
        guard SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(token.utf8)) else {
            var response = Self.text(.unauthorized, "a valid metrics token is required: Authorization: Bearer <token>\n")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        await readBacklog(logger: context.logger)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer()))
        )
    }

    /// The backlog is read from the store at each scrape; when it cannot be, the last value stays
    /// and the failure is counted.
    private func readBacklog(logger: Logger) async {
        do {
            let backlog = try await store.deliveryBacklog()
            let age = backlog.oldest.map { max(0, clock.now().timeIntervalSince($0)) } ?? 0
            metrics.backlog(count: backlog.count, oldestAge: age)
        } catch {
            logger.error("could not read the webhook backlog for metrics", metadata: ["error": "\(error)"])
            metrics.databaseError("metrics")
        }
    }

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
