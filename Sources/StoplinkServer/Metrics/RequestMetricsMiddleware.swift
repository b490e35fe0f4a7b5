import Hummingbird

/// Counts and times every answer by method, route pattern and status. The route is the pattern
/// the router matched (`/{code}`, `/api/v1/suppressions/{phone}`), never the path: paths hold
/// codes and phone numbers. An error thrown past this point is counted with the status it
/// becomes (500 for anything that is not an HTTP error).
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: StoplinkMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: Int(response.status.code), since: started)
            return response
        } catch {
            record(request, context, status: Int((error as? any HTTPResponseError)?.status.code ?? 500), since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        metrics.request(
            method: request.method.rawValue, route: context.endpointPath ?? "NotFound", status: status, duration: ContinuousClock.now - started
        )
    }
}
