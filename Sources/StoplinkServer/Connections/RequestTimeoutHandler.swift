import Logging
import NIOCore
import NIOHTTP1

/// Closes a connection whose client is too slow: a first request header not complete within the
/// header timeout (from the connection's opening), or a body whose bytes kept the server waiting
/// longer than the body timeout in all, extended by a second for every `bodyBytesPerSecond`
/// received (so a large upload at a sound rate always finishes; a trickle never does). Only time
/// spent waiting for the client counts: while the application is busy with what it already has,
/// it asks for no more bytes.
/// A kept-alive connection waiting for its next request is Hummingbird's idle timeout's job.
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
        headerTimer?.cancel()
        bodyTimer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        headerTimer?.cancel()
        bodyTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        stopWaiting()
        switch unwrapInboundIn(data) {
        case .head:
            sawFirstHeader = true
            headerTimer?.cancel()
            headerTimer = nil
            readingBody = true
            bodyWaited = .zero
            bodyReceived = 0
        case .body(let bytes):
            bodyReceived += Int64(bytes.readableBytes)
        case .end:
            readingBody = false
        }
        context.fireChannelRead(data)
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
