import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// `Idempotency-Key` on a POST: the key is reserved before the request runs, so a repeat while it
/// runs is told so (409 with `Retry-After`) instead of running it twice; the first answer is kept
/// and a repeat with the same key and body gets it again; the same key with another body is
/// refused (422); a request that fails (throws or answers 5xx) frees the key for a retry. Bodies
/// up to 8 MB take part; a larger (streamed CSV) body is processed as usual, which is safe because
/// issuing links and importing opt-outs are idempotent by nature.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("Idempotency-Key")!
    static let maximumKeyLength = 255
    /// Answers larger than this are not kept (the repeat is processed again).
    static let maximumStoredAnswer = 8 * 1024 * 1024

    let store: any Store
    let clock: any WallClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await answer(request, context: context, next: next)
        response.headers[Self.shownOnce] = nil
        return response
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let key = request.headers[Self.header], let company = context.company else {
            return try await next(request, context)
        }
        guard !key.isEmpty, key.count <= Self.maximumKeyLength else {
            throw APIError.invalid("Idempotency-Key", "must be 1–\(Self.maximumKeyLength) characters")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > APIJSON.maximumBodyBytes {
            return try await next(request, context)
        }
        let body = try await request.collectBody(
            upTo: APIJSON.maximumBodyBytes, limit: "bodies sent with an Idempotency-Key are limited to 8 MB"
        )
        var hasher = SHA256()
        hasher.update(data: Data("\(request.uri.path)\n".utf8))
        hasher.update(data: Data(body.readableBytesView))
        let requestHash = Hex.encode(hasher.finalize())

        switch try await store.reserveIdempotencyKey(companyID: company.id, key: key, requestHash: requestHash, at: clock.now()) {
        case .answered(let earlier):
            guard earlier.requestHash == requestHash else { throw Self.reused }
            return replay(earlier)
        case .inFlight(let runningHash):
            guard runningHash == requestHash else { throw Self.reused }
            var response = try Self.inFlight.response(from: request, context: context)
            response.headers[.retryAfter] = "1"
            return response
        case .reserved:
            break
        }
        do {
            var replayable = request
            replayable.body = RequestBody(buffer: body)
            let response = try await next(replayable, context)
            guard (200..<300).contains(response.status.code) || (400..<500).contains(response.status.code) else {
                await release(company: company.id, key: key, context: context)
                return response
            }
            var copy = response
            copy.body = ResponseBody(byteBuffer: try await Self.collect(response))
            // A secret is shown once and never kept: a repeat learns that it was created, not the secret.
            let kept = response.headers[Self.shownOnce] == nil ? copy : try Self.alreadyCreated.response(from: request, context: context)
            let answer = IdempotentAnswer(
                requestHash: requestHash, status: kept.status.code, contentType: kept.headers[.contentType] ?? "application/json",
                body: Data(try await Self.collect(kept).readableBytesView)
            )
            if answer.body.count <= Self.maximumStoredAnswer {
                _ = try await store.saveIdempotentAnswer(companyID: company.id, key: key, answer: answer, at: clock.now())
            } else {
                await release(company: company.id, key: key, context: context)
            }
            return copy
        } catch {
            await release(company: company.id, key: key, context: context)
            throw error
        }
    }

    /// Set by a route on an answer that shows a secret once (a new API key, a webhook or inbound
    /// secret); removed here before the answer leaves.
    static let shownOnce = HTTPField.Name("Stoplink-Secret-Shown-Once")!
    static let alreadyCreated = APIError(.conflict, "already_created", "already created; the secret was shown once")
    static let reused = APIError(.unprocessableContent, "idempotency_key_reused", "this Idempotency-Key was used with another request")
    static let inFlight = APIError(
        .conflict, "idempotency_key_in_flight", "a request with this Idempotency-Key is still running; retry after a second"
    )

    /// Frees the key of a request that failed, so that a retry runs it; when even that fails, the
    /// reservation lapses after `IdempotencyLifetime.reservation`.
    private func release(company: String, key: String, context: Context) async {
        do {
            try await store.releaseIdempotencyKey(companyID: company, key: key)
        } catch {
            context.logger.error("could not release an Idempotency-Key reservation", metadata: ["error": "\(error)"])
        }
    }

    private static func collect(_ response: Response) async throws -> ByteBuffer {
        let sink = CollectingWriter.Sink()
        try await response.body.write(CollectingWriter(sink: sink))
        return sink.buffer
    }

    private func replay(_ answer: IdempotentAnswer) -> Response {
        Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: [.contentType: answer.contentType, HTTPField.Name("Idempotent-Replayed")!: "true"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}

/// Gathers a response body in memory (the writer is consumed, so the bytes go to a sink).
struct CollectingWriter: ResponseBodyWriter {
    final class Sink {
        var buffer = ByteBuffer()
    }

    let sink: Sink

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        sink.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

extension Response {
    /// This answer shows a secret once: an `Idempotency-Key` repeat gets 409 `already_created`,
    /// and the secret is never stored.
    func showingSecretOnce() -> Response {
        var marked = self
        marked.headers[IdempotencyMiddleware.shownOnce] = "true"
        return marked
    }
}
