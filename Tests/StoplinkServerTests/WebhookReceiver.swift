import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on a loopback port that records what it receives and answers from a
/// script (then 200 once the script runs out), after `delay` when one is given. It counts the
/// requests in flight at once, overall and for one phone number.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        /// The `Host` the request named (HTTP/1's Host header).
        var host: String
        var id: String
        var timestamp: String
        var signature: String
        var body: Data
        /// The event's `data.phone` and `data.seq`, when the body is an event.
        var phone: String?
        var seq: Int?
    }

    struct Overlap: Sendable {
        var inFlight = 0
        var inFlightPerPhone: [String: Int] = [:]
        /// The most requests the receiver was answering at one moment.
        var mostAtOnce = 0
        /// The most requests for one number the receiver was answering at one moment.
        var mostAtOnceForOneNumber = 0
    }

    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var retryAfter: String?
        /// Instead of the receiver's own delay.
        var delay: Duration?
    }

    private let state = Mutex<(received: [Received], script: [Answer], scripts: [String: [Answer]])>(([], [], [:]))
    private let overlapState = Mutex(Overlap())
    private let delay: Duration?

    init(delay: Duration? = nil) {
        self.delay = delay
    }

    var received: [Received] { state.withLock { $0.received } }
    var overlap: Overlap { overlapState.withLock { $0 } }

    func script(_ answers: [Answer]) {
        state.withLock { $0.script = answers }
    }

    /// Answers for one number's requests, taken before the general script.
    func script(_ answers: [Answer], phone: String) {
        state.withLock { $0.scripts[phone] = answers }
    }

    /// Each number's events as they arrived (the same event twice when it was sent again).
    var seqsByPhone: [String: [Int]] {
        received.reduce(into: [:]) { seqs, message in
            if let phone = message.phone, let seq = message.seq { seqs[phone, default: []].append(seq) }
        }
    }

    /// Runs the receiver for the length of `body`, passing its URL.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let body = Data(bytes.readableBytesView)
            let data = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["data"] as? [String: Any]
            let phone = data?["phone"] as? String
            self.overlapState.withLock { overlap in
                overlap.inFlight += 1
                overlap.mostAtOnce = max(overlap.mostAtOnce, overlap.inFlight)
                if let phone {
                    overlap.inFlightPerPhone[phone, default: 0] += 1
                    overlap.mostAtOnceForOneNumber = max(overlap.mostAtOnceForOneNumber, overlap.inFlightPerPhone[phone, default: 0])
                }
            }
            // Counted out before the answer leaves, so a request sent after it never looks concurrent.
            defer {
                self.overlapState.withLock { overlap in
                    overlap.inFlight -= 1
                    if let phone { overlap.inFlightPerPhone[phone, default: 0] -= 1 }
                }
            }
            let answer = self.state.withLock { state -> Answer in
                state.received.append(Received(
                    host: request.head.authority ?? "",
                    id: request.headers[HTTPField.Name("webhook-id")!] ?? "",
                    timestamp: request.headers[HTTPField.Name("webhook-timestamp")!] ?? "",
                    signature: request.headers[HTTPField.Name("webhook-signature")!] ?? "",
                    body: body, phone: phone, seq: data?["seq"] as? Int
                ))
                if let phone, let scripted = state.scripts[phone], let first = scripted.first {
                    state.scripts[phone] = Array(scripted.dropFirst())
                    return first
                }
                return state.script.isEmpty ? Answer(status: .ok) : state.script.removeFirst()
            }
            if let delay = answer.delay ?? self.delay { try await Task.sleep(for: delay) }
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
