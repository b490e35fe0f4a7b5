import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import StoplinkCore
import StoplinkStore

/// Sends pending webhook deliveries: to each endpoint, each number's events in event order and
/// several numbers at once, signed per Standard Webhooks, retried on the schedule below, and
/// disabled on 410. Everything it needs is in the database, so deliveries pending at a shutdown
/// or crash go out after the next start.
public final class WebhookDispatcher: Service, Sendable {
    /// Waits before the 2nd…8th attempt; after the 8th failure the delivery is marked failed.
    public static let retryDelays: [TimeInterval] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
    static let requestTimeout: TimeAmount = .seconds(15)
    /// Only this much of an answer is read (for the delivery log).
    static let maximumResponseBytes = 1024
    static let batchPerEndpoint = 200
    /// Requests in flight at once to one endpoint, each for a different number. One lane to a
    /// receiver answering in 20 ms moves 50 deliveries a second; 32 move about 1,600, so a burst
    /// of 10,000 opt-outs is out within 15 s with each round's claim and record included (16
    /// would leave no room: 800 a second at best). More would open more connections to one
    /// receiver than a small one is built for.
    static let lanesPerEndpoint = 32
    static let endpointsPerRound = 32
    static let recordBatch = 100
    static let roundLimit: Duration = .seconds(10)
    /// How long a claimed line stays ours by default: well past a round (10 s) plus one
    /// request (15 s). A process that dies holding claims leaves them to the others after it.
    public static let defaultClaimLease: TimeInterval = 5 * 60
    let claimLease: TimeInterval

    /// A client whose connections all go to the address the policy checked: the client's
    /// `dnsOverride` replaces its own lookup of the host (no second DNS answer between the check
    /// and the connection) while the `Host` header, TLS SNI and certificate verification keep the
    /// URL's host name. Redirects are never followed.
    static func client(pinnedTo destination: WebhookURLPolicy.Destination) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: requestTimeout),
            decompression: .disabled
        )
        configuration.dnsOverride = [destination.host: destination.address]
        // One kept-alive connection per lane; the default pool opens only 8 to a host.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: lanesPerEndpoint)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// How one round reaches an endpoint: a client pinned to its checked address, or why not.
    enum Connection: Sendable {
        case pinned(HTTPClient)
        case refused(String)
    }

    private let store: any Store
    private let clock: any WallClock
    /// Where webhooks may go; also what endpoints are checked against when saved.
    let policy: WebhookURLPolicy
    private let logger: Logger
    /// The `webhook-id` of each event.
    let eventIDs: WebhookEventID
    /// nil: rounds run only when `runOnce` is called, so a test's own rounds never race a loop.
    private let pollInterval: Duration?
    let metrics: StoplinkMetrics

    public convenience init(
        store: any Store, clock: any WallClock, allowInsecure: Bool, eventIDs: WebhookEventID, logger: Logger,
        pollInterval: Duration? = .milliseconds(200), metrics: StoplinkMetrics = StoplinkMetrics(),
        claimLease: TimeInterval = defaultClaimLease
    ) {
        self.init(
            store: store, clock: clock, policy: WebhookURLPolicy(allowInsecure: allowInsecure), eventIDs: eventIDs, logger: logger,
            pollInterval: pollInterval, metrics: metrics, claimLease: claimLease
        )
    }

    init(
        store: any Store, clock: any WallClock, policy: WebhookURLPolicy, eventIDs: WebhookEventID, logger: Logger,
        pollInterval: Duration? = .milliseconds(200), metrics: StoplinkMetrics = StoplinkMetrics(),
        claimLease: TimeInterval = defaultClaimLease
    ) {
        self.claimLease = claimLease
        self.metrics = metrics
        self.store = store
        self.eventIDs = eventIDs
        self.clock = clock
        self.policy = policy
        self.logger = logger
        self.pollInterval = pollInterval
    }

    public func run() async throws {
        await pollUntilShutdown(every: pollInterval) { await runOnce() }
    }

    /// Sends what is due now; answers how many attempts were made. Tests call it with a manual clock.
    @discardableResult
    public func runOnce() async -> Int {
        let due: [(WebhookEndpoint, [(WebhookDelivery, ConsentEvent)])]
        do {
            due = try await store.claimDueDeliveries(
                at: clock.now(), lease: claimLease, perEndpoint: Self.batchPerEndpoint, endpoints: Self.endpointsPerRound
            )
        } catch {
            logger.error("could not read pending webhook deliveries", metadata: ["error": "\(error)"])
            if DatabaseFailure.matches(error) { metrics.databaseError("webhooks") }
            return 0
        }
        return await withTaskGroup(of: Int.self) { group in
            for (endpoint, items) in due {
                group.addTask { await self.deliver(items, to: endpoint) }
            }
            return await group.reduce(0, +)
        }
    }

    /// One endpoint's line, oldest first, over up to `lanesPerEndpoint` requests at once. A
    /// number's deliveries go out one after another in event order, never two at once; different
    /// numbers go in parallel. The line is taken only up to its first delivery that must wait,
    /// and once any delivery fails with a retry (or 410) nothing new starts: what is in flight
    /// finishes and is recorded, the rest is given back, and the endpoint waits for the failed
    /// delivery's retry, so no later event of its number overtakes it. Successes are recorded in
    /// batches (one disk sync for many); a crash before that resends them with the same
    /// `webhook-id`, which receivers deduplicate on.
    private func deliver(_ items: [(WebhookDelivery, ConsentEvent)], to endpoint: WebhookEndpoint) async -> Int {
        var unrecorded: [(deliveryID: Int64, endpointID: String, outcome: AttemptOutcome)] = []
        func record() async -> Bool {
            do {
                try await store.recordAttempts(unrecorded, at: clock.now())
                unrecorded.removeAll()
                return true
            } catch {
                logger.error("could not record webhook attempts", metadata: ["endpoint": "\(endpoint.id)", "error": "\(error)"])
                if DatabaseFailure.matches(error) { metrics.databaseError("webhooks") }
                return false
            }
        }
        let started = ContinuousClock.now
        let now = clock.now()
        // Nothing after a delivery that waits for its retry may go first: the line ends there.
        var waiting = Array(items.prefix { delivery, _ in delivery.nextAttemptAt.map { $0 <= now } ?? true }.indices)
        var attempted: Set<Int> = []
        // One lookup and check per round, made only when something is due.
        let connection: Connection? = if waiting.isEmpty { nil } else { await connect(to: endpoint.url) }
        // A refused address fails every delivery alike: one attempt says so, the rest wait.
        let lanes = if case .refused = connection { 1 } else { Self.lanesPerEndpoint }
        await withTaskGroup(of: (index: Int, outcome: AttemptOutcome).self) { group in
            var numbersInFlight: Set<PhoneNumber> = []
            var stopping = false
            while true {
                while !stopping, let connection, numbersInFlight.count < lanes {
                    // A slow receiver must not hold up the others for long: the rest waits for the next round.
                    if Task.isShuttingDownGracefully || ContinuousClock.now - started > Self.roundLimit {
                        stopping = true
                        break
                    }
                    // The oldest delivery whose number has nothing in flight.
                    guard let next = waiting.firstIndex(where: { !numbersInFlight.contains(items[$0].1.phone) }) else { break }
                    let index = waiting.remove(at: next)
                    let (delivery, event) = items[index]
                    numbersInFlight.insert(event.phone)
                    attempted.insert(index)
                    group.addTask { (index, await self.attempt(delivery, of: event, to: endpoint, over: connection)) }
                }
                guard let done = await group.next() else { break }
                let (index, outcome) = done
                numbersInFlight.remove(items[index].1.phone)
                metrics.delivery(StoplinkMetrics.DeliveryOutcome(outcome))
                unrecorded.append((items[index].0.id, endpoint.id, outcome))
                switch outcome {
                case .succeeded, .failed(_, _, nil):
                    if unrecorded.count >= Self.recordBatch, await !record() { stopping = true }
                case .failed, .gone:
                    stopping = true
                }
            }
        }
        if let connection { await close(connection) }
        // Unrecorded outcomes keep their claims until the lease runs out; then they are sent again.
        guard await record() else { return attempted.count }
        // What this round left (a failure, a slow receiver, a shutdown) goes back at once; an
        // endpoint whose oldest pending delivery waits for a retry is not claimed before then.
        do {
            try await store.releaseClaims(items.indices.filter { !attempted.contains($0) }.map { items[$0].0 })
        } catch {
            logger.error("could not release webhook deliveries", metadata: ["endpoint": "\(endpoint.id)", "error": "\(error)"])
            if DatabaseFailure.matches(error) { metrics.databaseError("webhooks") }
        }
        return attempted.count
    }

    private func attempt(
        _ delivery: WebhookDelivery, of event: ConsentEvent, to endpoint: WebhookEndpoint, over connection: Connection
    ) async -> AttemptOutcome {
        let body: Data
        do {
            body = try WebhookPayload.event(event, id: eventIDs.id(ofSeq: delivery.seq))
        } catch {
            // Encoding fails the same way every time: no retry, and never an empty signed body.
            logger.error("could not encode a webhook payload", metadata: [
                "endpoint": "\(endpoint.id)", "delivery": "\(delivery.id)", "error": "\(error)",
            ])
            return .failed(statusCode: nil, error: "the payload could not be encoded", retryAt: nil)
        }
        let result = await send(body: body, id: eventIDs.id(ofSeq: delivery.seq), to: endpoint, over: connection)
        switch result {
        case .answered(let status, _, _) where (200..<300).contains(status):
            return .succeeded(statusCode: status)
        case .answered(410, _, _):
            logger.notice("webhook endpoint answered 410 and was disabled", metadata: ["endpoint": "\(endpoint.id)"])
            return .gone
        case .answered(let status, let retryAfter, let text):
            return .failed(statusCode: status, error: "answered \(status)\(text.isEmpty ? "" : ": \(text)")",
                           retryAt: retryTime(afterAttempt: delivery.attempts + 1, retryAfter: retryAfter))
        case .notSent(let error):
            return .failed(statusCode: nil, error: error, retryAt: retryTime(afterAttempt: delivery.attempts + 1, retryAfter: nil))
        }
    }

    /// When to try again after `attempt` attempts (nil: give up). `Retry-After` wins when given.
    func retryTime(afterAttempt attempt: Int, retryAfter: TimeInterval?) -> Date? {
        guard attempt <= Self.retryDelays.count else { return nil }
        let scheduled = Self.retryDelays[attempt - 1] * Double.random(in: 0.9...1.1)
        let delay = retryAfter.flatMap { $0.isFinite ? min(max($0, 1), 24 * 3600) : nil } ?? scheduled
        return clock.now().addingTimeInterval(delay)
    }

    public enum SendResult: Sendable, Equatable {
        case answered(status: Int, retryAfter: TimeInterval?, text: String)
        case notSent(String)
    }

    /// Sends a signed `webhook.test` event at once, over a connection of its own, and logs what
    /// came back in the endpoint's delivery log (`WebhookStore.recordTestDelivery`).
    func sendTest(to endpoint: WebhookEndpoint) async throws -> WebhookTestDelivery {
        let id = "msg_test_" + ShortCode.generate(length: 16)
        let sentAt = clock.now()
        let test: WebhookTestDelivery
        switch await send(body: try WebhookPayload.test(id: id, at: sentAt), id: id, to: endpoint) {
        case .answered(let status, _, let text):
            let ok = (200..<300).contains(status)
            test = WebhookTestDelivery(
                endpointID: endpoint.id, messageID: id, succeeded: ok, statusCode: status,
                error: ok ? nil : "answered \(status)\(text.isEmpty ? "" : ": \(text)")", sentAt: sentAt
            )
        case .notSent(let error):
            test = WebhookTestDelivery(endpointID: endpoint.id, messageID: id, succeeded: false, statusCode: nil, error: error, sentAt: sentAt)
        }
        try await store.recordTestDelivery(test)
        return test
    }

    /// Signs and posts one message over a connection of its own (the test event).
    public func send(body: Data, id: String, to endpoint: WebhookEndpoint) async -> SendResult {
        let connection = await connect(to: endpoint.url)
        let result = await send(body: body, id: id, to: endpoint, over: connection)
        await close(connection)
        return result
    }

    /// Checks `url` against the policy and, when allowed, opens a client pinned to the checked address.
    func connect(to url: String) async -> Connection {
        switch await policy.check(url) {
        case .allowed(let destination): .pinned(Self.client(pinnedTo: destination))
        case .refused(let problem): .refused(problem)
        }
    }

    func close(_ connection: Connection) async {
        guard case .pinned(let client) = connection else { return }
        do {
            try await client.shutdown()
        } catch {
            logger.error("could not close a webhook client", metadata: ["error": "\(error)"])
        }
    }

    /// Signs and posts one message. Used for deliveries and for the test event.
    func send(body: Data, id: String, to endpoint: WebhookEndpoint, over connection: Connection) async -> SendResult {
        let client: HTTPClient
        switch connection {
        case .pinned(let pinned): client = pinned
        case .refused(let problem): return .notSent(problem)
        }
        let now = clock.now()
        let timestamp = Int(now.timeIntervalSince1970)
        let signature: String
        do {
            signature = try WebhookSignature.header(id: id, timestamp: timestamp, body: body, secrets: endpoint.signingSecrets(at: now))
        } catch {
            return .notSent("the endpoint's secret is malformed")
        }
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Stoplink-Webhooks/1")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signature)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: Self.requestTimeout)
            var text = ""
            for try await chunk in response.body {
                text += String(buffer: chunk)
                if text.utf8.count >= Self.maximumResponseBytes { break }
            }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Self.retryAfterSeconds($0, now: now) }
            return .answered(status: Int(response.status.code), retryAfter: retryAfter, text: String(text.prefix(200)))
        } catch {
            return .notSent("could not reach the endpoint: \(String(describing: error).prefix(200))")
        }
    }

    /// `Retry-After` as seconds or an HTTP date, counted from `now` (the dispatcher's clock).
    static func retryAfterSeconds(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        // Only finite numbers: "nan" or "inf" parse as Doubles and would poison the schedule.
        if let seconds = TimeInterval(trimmed) { return seconds.isFinite ? seconds : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: trimmed).map { $0.timeIntervalSince(now) }
    }
}

/// The JSON a webhook carries.
enum WebhookPayload {
    struct Envelope<Payload: Encodable>: Encodable {
        var id: String
        var type: String
        var createdAt: String
        var data: Payload
    }

    static func event(_ event: ConsentEvent, id: String) throws -> Data {
        try encode(id: id, type: WebhookEventType.of(event.action), at: event.occurredAt, data: ConsentEventView(event: event))
    }

    static func test(id: String, at: Date) throws -> Data {
        struct TestData: Encodable { var message: String }
        return try encode(
            id: id, type: WebhookEventType.test, at: at,
            data: TestData(message: "A test event from Stoplink: your endpoint is reachable and can check signatures.")
        )
    }

    /// The envelope around `data`; an encoding failure is thrown, never sent as an empty body.
    static func encode(id: String, type: String, at: Date, data: some Encodable) throws -> Data {
        try APIJSON.encoder.encode(Envelope(id: id, type: type, createdAt: APIJSON.timestamp(at), data: data))
    }
}
