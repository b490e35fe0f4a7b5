import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import StoplinkCore

/// Why a message was not sent: the server refused it for good (5xx), for now (4xx), or the
/// conversation broke (connection, TLS, timeout, a reply that is not SMTP).
public enum SMTPFailure: Error, Equatable, CustomStringConvertible {
    case permanent(code: Int, step: String, text: String)
    case temporary(code: Int, step: String, text: String)
    case network(String)
    /// The message itself cannot be sent (a bad address): trying again cannot help.
    case unsendable(String)

    public var isPermanent: Bool {
        switch self {
        case .permanent, .unsendable: true
        case .temporary, .network: false
        }
    }

    /// Without the server's text, which may repeat an address: what logs carry.
    public var summary: String {
        switch self {
        case .permanent(let code, let step, _), .temporary(let code, let step, _): "\(step) answered \(code)"
        case .network(let problem): problem
        case .unsendable(let problem): problem
        }
    }

    public var description: String {
        switch self {
        case .permanent(let code, let step, let text), .temporary(let code, let step, let text):
            "\(step) answered \(code) \(text.prefix(200))"
        case .network(let problem), .unsendable(let problem): problem
        }
    }
}

/// A small SMTP client (RFC 5321) over SwiftNIO: EHLO, STARTTLS or implicit TLS, AUTH PLAIN or
/// LOGIN, one message per connection, QUIT. Every reply must come within `replyTimeout`.
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    /// The name given in EHLO.
    public let heloName: String
    public let connectTimeout: TimeAmount
    public let replyTimeout: TimeAmount

    public init(settings: SMTPSettings, heloName: String = "localhost", connectTimeout: TimeAmount = .seconds(10), replyTimeout: TimeAmount = .seconds(60)) {
        self.settings = settings
        self.heloName = heloName
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
    }

    public func send(_ message: EmailMessage) async throws(SMTPFailure) {
        let data: String
        do {
            data = SMTPData.stuffed(try message.rendered())
        } catch {
            throw .unsendable(String(describing: error))
        }
        let tls: NIOSSLContext
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if !settings.verifyCertificate { configuration.certificateVerification = .none }
            tls = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .network("could not set up TLS: \(error)")
        }
        let channel: NIOAsyncChannel<String, ByteBuffer>
        do {
            let settings = settings, replyTimeout = replyTimeout, serverName = serverName
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(connectTimeout)
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handlers = channel.pipeline.syncOperations
                        if settings.security == .implicitTLS {
                            try handlers.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try handlers.addHandler(IdleStateHandler(readTimeout: replyTimeout))
                        try handlers.addHandler(ReplyTimeout())
                        try handlers.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                        return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw .network("could not connect to \(settings.host):\(settings.port): \(error)")
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var conversation = Conversation(lines: inbound.makeAsyncIterator(), outbound: outbound)
                try await conversation.expect(220, after: "the greeting")
                var ehlo = try await conversation.command("EHLO \(heloName)", expect: 250, step: "EHLO")
                if settings.security != .implicitTLS {
                    if ehlo.extensions["STARTTLS"] != nil {
                        try await conversation.command("STARTTLS", expect: 220, step: "STARTTLS")
                        let serverName = serverName
                        let raw = channel.channel
                        try await raw.eventLoop.submit {
                            try raw.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tls, serverHostname: serverName), position: .first
                            )
                        }.get()
                        ehlo = try await conversation.command("EHLO \(heloName)", expect: 250, step: "EHLO after STARTTLS")
                    } else if settings.security == .requireStartTLS {
                        throw SMTPFailure.network("the server does not offer STARTTLS, which the SMTP URL requires")
                    }
                }
                if let username = settings.username {
                    try await authenticate(username: username, password: settings.password ?? "", offered: ehlo.extensions["AUTH"] ?? [], conversation: &conversation)
                }
                try await conversation.command("MAIL FROM:<\(message.from)>", expect: 250, step: "MAIL FROM")
                try await conversation.command("RCPT TO:<\(message.to)>", expect: 250, 251, step: "RCPT TO")
                try await conversation.command("DATA", expect: 354, step: "DATA")
                try await conversation.write(data)
                try await conversation.expect(250, after: "the message")
                // The message is accepted: a failed QUIT changes nothing.
                try? await conversation.command("QUIT", expect: 221, step: "QUIT")
            }
        } catch let failure as SMTPFailure {
            throw failure
        } catch let problem as SMTPReply.Reader.Problem {
            throw .network("the server's reply is not SMTP: \(problem)")
        } catch is ReplyTimeout.Expired {
            throw .network("the server did not answer within \(replyTimeout.nanoseconds / 1_000_000) ms")
        } catch {
            throw .network("the connection failed: \(String(describing: error).prefix(200))")
        }
    }

    /// The host name for TLS SNI and certificate checks; none for an IP address.
    private var serverName: String? {
        (try? SocketAddress(ipAddress: settings.host, port: 0)) == nil ? settings.host : nil
    }

    private func authenticate(username: String, password: String, offered: [String], conversation: inout Conversation) async throws {
        if offered.contains("PLAIN") || !offered.contains("LOGIN") {
            let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
            try await conversation.command("AUTH PLAIN \(token)", expect: 235, step: "AUTH PLAIN")
        } else {
            try await conversation.command("AUTH LOGIN", expect: 334, step: "AUTH LOGIN")
            try await conversation.command(Data(username.utf8).base64EncodedString(), expect: 334, step: "AUTH LOGIN user")
            try await conversation.command(Data(password.utf8).base64EncodedString(), expect: 235, step: "AUTH LOGIN password")
        }
    }

    /// Commands out, replies in.
    struct Conversation {
        var lines: NIOAsyncChannelInboundStream<String>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var reader = SMTPReply.Reader()

        mutating func write(_ text: String) async throws {
            try await outbound.write(ByteBuffer(string: text))
        }

        @discardableResult
        mutating func command(_ line: String, expect codes: Int..., step: String) async throws -> SMTPReply {
            try await write(line + "\r\n")
            return try await expect(codes, after: step)
        }

        @discardableResult
        mutating func expect(_ codes: Int..., after step: String) async throws -> SMTPReply {
            try await expect(codes, after: step)
        }

        mutating func expect(_ codes: [Int], after step: String) async throws -> SMTPReply {
            while let line = try await lines.next() {
                guard let reply = try reader.add(line) else { continue }
                if codes.contains(reply.code) { return reply }
                if reply.isPermanentFailure { throw SMTPFailure.permanent(code: reply.code, step: step, text: reply.text) }
                throw SMTPFailure.temporary(code: reply.code, step: step, text: reply.text)
            }
            throw SMTPFailure.network("the server closed the connection before answering \(step)")
        }
    }
}

/// Lines without their CRLF (or LF); a line longer than 4,096 bytes is an error, not a buffer
/// that grows without end.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String
    static let maximumLine = 4096

    struct LineTooLong: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLine { throw LineTooLong() }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= Self.maximumLine, var line = buffer.readString(length: length) else { throw LineTooLong() }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Turns the idle handler's "nothing read" into an error that ends the conversation.
final class ReplyTimeout: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    struct Expired: Error {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(Expired())
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
