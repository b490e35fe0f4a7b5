import Logging
import NIOCore
import NIOHTTP1

/// Closes a connection whose client is too slow: a first request header not complete within the
/// header timeout (from the connection's opening), or a body whose bytes kept the server waiting
/// longer than the body timeout in all, extended by a second for every `bodyBytesPerSecond`
/// received (so a large upload at a sound rate always finishes; a trickle never does). Only time
/// spent waiting for the client counts: while the application is busy with what it already has,
/// it asks for no more bytes. And a kept-alive connection whose answers are all written waits at
/// most the idle timeout for its next request. (Hummingbird's own idle timeout also fires while
/// the application is busy with a body it has stopped reading, which cut off large CSV uploads.)
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The slowest sustained upload rate that is never cut off.
    static let bodyBytesPerSecond: Int64 = 1024

    private let limits: ConnectionLimits
    private let logger: Logger
    private var headerTimer: Scheduled<Void>?
    private var sawFirstHeader = false
    private var readingBody = false
    /// Time already spent waiting for the current body's bytes.
    private var bodyWaited: TimeAmount = .zero
    private var bodyReceived: Int64 = 0
    /// When the current unanswered request for body bytes was made.
    private var waitingSince: NIODeadline?
    private var bodyTimer: Scheduled<Void>?
    /// Requests whose header was read and whose answer is not yet written.
    private var unanswered = 0
    private var idleTimer: Scheduled<Void>?

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startHeaderTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startHeaderTimer(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        stopWaiting()
        switch unwrapInboundIn(data) {
        case .head:
            sawFirstHeader = true
            headerTimer?.cancel()
            headerTimer = nil
            idleTimer?.cancel()
            idleTimer = nil
            unanswered += 1
            readingBody = true
            bodyWaited = .zero
            bodyReceived = 0
        case .body(let bytes):
            bodyReceived += Int64(bytes.readableBytes)
        case .end:
            readingBody = false
            startIdleTimerIfIdle(context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered -= 1
            startIdleTimerIfIdle(context: context)
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if readingBody, waitingSince == nil {
            waitingSince = .now()
            // Clamped so that no body, however long, overflows the arithmetic.
            let earned = TimeAmount.nanoseconds(min(bodyReceived, Int64.max / 1_000_000_000) * 1_000_000_000 / Self.bodyBytesPerSecond)
            let remaining = TimeAmount(limits.bodyTimeout) + earned - bodyWaited
            bodyTimer = context.eventLoop.assumeIsolated().scheduleTask(in: max(remaining, .zero)) {
                self.logger.debug("closing a connection whose request body came too slowly")
                context.close(promise: nil)
            }
        }
        context.read()
    }

    private func startHeaderTimer(context: ChannelHandlerContext) {
        guard headerTimer == nil, !sawFirstHeader else { return }
        headerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.headerTimeout)) {
            self.logger.debug("closing a connection whose request header was not complete in time")
            context.close(promise: nil)
        }
    }

    /// Every request read and answered: the connection waits for the next one, for so long.
    private func startIdleTimerIfIdle(context: ChannelHandlerContext) {
        guard unanswered == 0, !readingBody, idleTimer == nil else { return }
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.idleTimeout)) {
            self.logger.debug("closing an idle kept-alive connection")
            context.close(promise: nil)
        }
    }

    private func cancelTimers() {
        headerTimer?.cancel()
        bodyTimer?.cancel()
        idleTimer?.cancel()
    }

    /// Bytes arrived: the wait for them ends and counts towards the body's allowance.
    private func stopWaiting() {
        guard let since = waitingSince else { return }
        bodyWaited = bodyWaited + (NIODeadline.now() - since)
        waitingSince = nil
        bodyTimer?.cancel()
        bodyTimer = nil
    }
}

@available(*, unavailable)
extension RequestTimeoutHandler: Sendable {}
