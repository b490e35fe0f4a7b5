import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The methods each route answers, by path pattern (`/api/v1/webhooks/{id}`), as the router holds them.
struct RouteMethods: Sendable {
    private var patterns: [(segments: [Substring], methods: Set<HTTPRequest.Method>)] = []

    init(_ routes: [(path: String, method: HTTPRequest.Method)]) {
        for route in routes { add(route.path, [route.method]) }
    }

    /// Adds a route; a GET route answers HEAD too (the router generates those).
    mutating func add(_ path: String, _ methods: Set<HTTPRequest.Method>) {
        let methods = methods.contains(.get) ? methods.union([.head]) : methods
        let segments = path.split(separator: "/")
        if let index = patterns.firstIndex(where: { $0.segments == segments }) {
            patterns[index].methods.formUnion(methods)
        } else {
            patterns.append((segments, methods))
        }
    }

    /// The methods of the most specific pattern `path` matches (fewest `{parameters}`), or nil.
    func methods(for path: String) -> Set<HTTPRequest.Method>? {
        let segments = path.split(separator: "/")
        var best: (parameters: Int, methods: Set<HTTPRequest.Method>)?
        for pattern in patterns where pattern.segments.count == segments.count {
            var parameters = 0
            var matches = true
            for (expected, actual) in zip(pattern.segments, segments) {
                if expected.hasPrefix("{") || expected.hasPrefix(":") || expected == "*" {
                    parameters += 1
                } else if expected != actual {
                    matches = false
                    break
                }
            }
            if matches, best.map({ parameters < $0.parameters }) ?? true { best = (parameters, pattern.methods) }
        }
        return best?.methods
    }
}

/// A request the router found no route for, whose path is a route under other methods, gets
/// `405 Method Not Allowed` with `Allow` (RFC 9110, section 15.5.6) instead of a 404: JSON under
/// `/api/`, plain text elsewhere. Added to the router after every route, so it wraps only the
/// router's not-found answer (inside the other middleware), and acts only when the router itself
/// matched nothing (`endpointPath` is then "NotFound").
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let answer = try methodNotAllowed(request, context) else { throw error }
            return answer
        }
    }

    private func methodNotAllowed(_ request: Request, _ context: Context) throws -> Response? {
        guard context.endpointPath == "NotFound", let methods = routes.methods(for: request.uri.path),
              !methods.contains(request.method) else { return nil }
        let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
        var response: Response
        if request.uri.path.hasPrefix("/api/") {
            response = try APIError(
                .methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here; this path allows \(allow)"
            ).response(from: request, context: context)
        } else {
            response = Response(
                status: .methodNotAllowed, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "Method not allowed. Allowed: \(allow)\n"))
            )
        }
        response.headers[.allow] = allow
        return response
    }
}
