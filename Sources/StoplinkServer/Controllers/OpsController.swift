import Foundation
import Hummingbird
import StoplinkStore

/// What an operator and a load balancer ask: is it up, can it serve, and the static files.
struct OpsController: Sendable {
    let store: any Store
    let robots: String
    let metrics: StoplinkMetrics

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz", use: ready)
        router.get("robots.txt") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "public, max-age=86400"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: robots))
            )
        }
    }

    @Sendable func ready(request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await store.ping()
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
        } catch {
            context.logger.error("database not reachable", metadata: ["error": "\(error)"])
            metrics.databaseError("readiness")
            return Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "database not reachable\n")))
        }
    }
}
