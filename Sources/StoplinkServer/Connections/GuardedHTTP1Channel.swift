import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hummingbird's HTTP/1.1 channel plus what it leaves to the application: the header, body and
/// idle timeouts and HTTP/1.0 keep-alive. Both work on HTTP/1 messages, so they sit right after
/// NIO's request decoder, where the request's version is still known.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let limits: ConnectionLimits

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits) {
        self.base = HTTP1Channel(responder: responder, configuration: .init())
        self.limits = limits
    }

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTP10KeepAliveHandler(), position: .after(decoder))
            try pipeline.addHandler(RequestTimeoutHandler(limits: limits, logger: logger), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with Stoplink's connection limits.
    static func guardedHTTP1(limits: ConnectionLimits) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits) }
    }
}

extension ConnectionLimits {
    /// Descriptors kept free for the database, the listening socket and outgoing webhooks.
    static let reservedDescriptors = 64

    /// The connection cap this process can honour: the configured one, lowered to fit the
    /// open-file limit, since a server out of descriptors cannot even accept a connection to
    /// refuse it.
    func effectiveMaximumConnections(descriptorLimit: Int? = Self.descriptorLimit()) -> Int {
        guard let descriptorLimit else { return maximumConnections }
        return max(1, min(maximumConnections, descriptorLimit - Self.reservedDescriptors))
    }

    /// The process's soft open-file limit, nil when unlimited or unknown.
    static func descriptorLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
        let result = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let result = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        // Unlimited (RLIM_INFINITY) is all bits set, past any Int.
        guard result == 0, let value = Int(exactly: limit.rlim_cur) else { return nil }
        return value
    }
}
