import Hummingbird
import StoplinkCore

/// Turns what escapes the routes into pages: an unknown path gets the 404 page, and an
/// unexpected error is logged at error level and answered with a safe page.
struct ErrorPageMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let landing: LandingController

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let language = Language.choose(
            query: request.uri.queryParameters.get("lang"), acceptLanguage: request.headers[.acceptLanguage], companyDefault: nil
        )
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return landing.notFound(request, language: language)
        } catch let error as HTTPError where error.status.code < 500 {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return landing.message(.internalServerError, "error", language: language)
        }
    }
}
