import NIOCore
import NIOHTTP1

/// HTTP/1.0 clients (ApacheBench among them) keep a connection only when they ask for it with
/// `Connection: keep-alive` and the answer confirms it with a known length; otherwise they read
/// the answer until the server closes. Hummingbird answers every request as HTTP/1.1 and keeps
/// the connection, so without this such a client waits for ever. This answers a 1.0 request as
/// 1.0: kept alive, and said so, when asked and the length is known; closed after the answer
/// otherwise.
final class HTTP10KeepAliveHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private struct Pending {
        var http10: Bool
        var keepAlive: Bool
        var isHead: Bool
    }

    /// Requests read and not yet answered, oldest first.
    private var pending: [Pending] = []
    private var closeAfterAnswer = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            let http10 = head.version.major < 1 || (head.version.major == 1 && head.version.minor == 0)
            pending.append(Pending(http10: http10, keepAlive: head.isKeepAlive, isHead: head.method == .HEAD))
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        // An interim answer (100 Continue) is not the request's answer.
        case .head(var head) where head.status.code >= 200 && !pending.isEmpty:
            let request = pending.removeFirst()
            guard request.http10 else { break }
            head.version = .http1_0
            let bodyless = request.isHead || head.status == .noContent || head.status == .notModified
            if request.keepAlive && (bodyless || head.headers.contains(name: "content-length")) {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            } else {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                closeAfterAnswer = true
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .end where closeAfterAnswer:
            closeAfterAnswer = false
            // Close once the answer is out, not before its last bytes are written.
            let written = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension HTTP10KeepAliveHandler: Sendable {}
