import HTTPTypes
import Hummingbird

/// The headers every answer carries: no script, no framing, no referrer, no caching, no indexing.
/// A page with its own stylesheet (the dashboard) sets its own Content-Security-Policy; every
/// other answer gets the recipient page's.
/// Errors thrown further in (401 from the key middleware, 404, 413, 422) become their answers
/// here, so they carry the headers too.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let contentSecurityPolicy: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = contentSecurityPolicy }
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xRobotsTag] = "noindex"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
