import Hummingbird
import Logging
import NIOCore
import StoplinkCore
import StoplinkStore

/// Turns what escapes the routes into answers: on `/api/` JSON errors, elsewhere pages. An
/// unknown path gets the 404 page, a client that broke off its request is logged at info level,
/// and an unexpected error is logged at error level and answered with a safe message. Logs name
/// the route pattern, never the path: paths hold phone numbers (`/api/v1/suppressions/{phone}`).
struct ErrorPageMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let landing: LandingController
    let metrics: StoplinkMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let isAPI = request.uri.path.hasPrefix("/api/")
        do {
            var response = try await next(request, context)
            if response.body.contentLength == nil {
                response.body = Self.loggingFailures(of: response.body, status: Int(response.status.code), request: request, context: context)
            }
            return response
        } catch let error as APIError where error.status.code < 500 {
            throw error
        } catch let error as HTTPError where error.status.code < 500 {
            guard isAPI else {
                if error.status == .notFound { return try page(context) { try landing.notFound(request, language: language(request)) } }
                throw error
            }
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            throw APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        } catch where ClientAbort.matches(error) {
            // The client's own doing, and usually gone: worth a line, not an alert.
            context.logger.info("the client broke off its request", metadata: Self.metadata(request, context, status: 400, error: error))
            if isAPI { throw APIError(.badRequest, "incomplete_request", "the request ended before its body was complete") }
            throw HTTPError(.badRequest)
        } catch let error as CancellationError {
            // Only a shutdown past --shutdown-timeout cancels a request: the service is going away.
            context.logger.warning("request cancelled by shutdown", metadata: Self.metadata(request, context, status: 503, error: error))
            if isAPI { throw APIError(.serviceUnavailable, "shutting_down", "the server is shutting down; try again") }
            throw HTTPError(.serviceUnavailable)
        } catch {
            context.logger.error("request failed", metadata: Self.metadata(request, context, status: 500, error: error))
            if DatabaseFailure.matches(error) { metrics.databaseError("request") }
            if isAPI { throw APIError(.internalServerError, "internal_error", "something went wrong; nothing was lost, try again") }
            return try page(context) { try landing.message(.internalServerError, "error", language: language(request)) }
        }
    }

    /// A page, or a plain 500 when the page itself cannot be rendered (logged, never blank).
    private func page(_ context: Context, _ render: () throws -> Response) throws -> Response {
        do {
            return try render()
        } catch let error as RendererError {
            context.logger.error("could not render an error page", metadata: ["error": "\(error)"])
            return Response(
                status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "Something went wrong. Please try again later.\n"))
            )
        }
    }

    /// The route pattern (`/api/v1/suppressions/{phone}`), never the path it matched.
    static func metadata(_ request: Request, _ context: Context, status: Int, error: any Error) -> Logger.Metadata {
        [
            "route": "\(context.endpointPath ?? "unmatched")", "method": "\(request.method.rawValue)", "status": "\(status)",
            "error": "\(error)",
        ]
    }

    /// A streamed body whose status line is already sent can only end early: say so at error level.
    static func loggingFailures(of body: ResponseBody, status: Int, request: Request, context: Context) -> ResponseBody {
        ResponseBody { writer in
            do {
                try await body.write(writer)
            } catch where ClientAbort.matches(error) {
                context.logger.info("the client went away during a streamed answer", metadata: metadata(request, context, status: status, error: error))
                throw error
            } catch {
                context.logger.error("a streamed answer ended with an error", metadata: metadata(request, context, status: status, error: error))
                throw error
            }
        }
    }

    private func language(_ request: Request) -> String {
        Language.choose(query: request.uri.queryParameters.get("lang"), acceptLanguage: request.headers[.acceptLanguage], companyDefault: nil)
    }
}
