import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on a loopback port that records what it receives and answers from a
/// script (then 200 once the script runs out).
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        /// The `Host` the request named (HTTP/1's Host header).
        var host: String
        var id: String
        var timestamp: String
        var signature: String
        var body: Data
    }

    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var retryAfter: String?
    }

    private let state = Mutex<(received: [Received], script: [Answer])>(([], []))
    private let port = Mutex<Int?>(nil)

    var received: [Received] { state.withLock { $0.received } }

    func script(_ answers: [Answer]) {
        state.withLock { $0.script = answers }
    }

    /// Runs the receiver for the length of `body`, passing its URL.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let answer = self.state.withLock { state -> Answer in
                state.received.append(Received(
                    host: request.head.authority ?? "",
                    id: request.headers[HTTPField.Name("webhook-id")!] ?? "",
                    timestamp: request.headers[HTTPField.Name("webhook-timestamp")!] ?? "",
                    signature: request.headers[HTTPField.Name("webhook-signature")!] ?? "",
                    body: Data(bytes.readableBytesView)
                ))
                return state.script.isEmpty ? Answer(status: .ok) : state.script.removeFirst()
            }
            var headers: HTTPFields = [:]
            if let retryAfter = answer.retryAfter { headers[HTTPField.Name("Retry-After")!] = retryAfter }
            return Response(status: answer.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "noted")))
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let ready = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ready.continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            group.addTask { try await serviceGroup.run() }
            var iterator = ready.stream.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            defer { group.cancelAll() }
            let result = try await body("http://127.0.0.1:\(port)/hook")
            await serviceGroup.triggerGracefulShutdown()
            return result
        }
    }
}
