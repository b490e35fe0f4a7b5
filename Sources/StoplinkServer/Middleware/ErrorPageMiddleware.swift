import Hummingbird
import StoplinkCore

/// Turns what escapes the routes into answers: on `/api/` JSON errors, elsewhere pages. An
/// unknown path gets the 404 page, and an unexpected error is logged at error level and
/// answered with a safe message.
struct ErrorPageMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let landing: LandingController

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let isAPI = request.uri.path.hasPrefix("/api/")
        do {
            return try await next(request, context)
        } catch let error as APIError where error.status.code < 500 {
            throw error
        } catch let error as HTTPError where error.status.code < 500 {
            guard isAPI else {
                if error.status == .notFound { return landing.notFound(request, language: language(request)) }
                throw error
            }
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            throw APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            if isAPI { throw APIError(.internalServerError, "internal_error", "something went wrong; nothing was lost, try again") }
            return landing.message(.internalServerError, "error", language: language(request))
        }
    }

    private func language(_ request: Request) -> String {
        Language.choose(query: request.uri.queryParameters.get("lang"), acceptLanguage: request.headers[.acceptLanguage], companyDefault: nil)
    }
}
