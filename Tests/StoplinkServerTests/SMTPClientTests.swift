import Foundation
import NIOCore
import NIOPosix
import StoplinkCore
@testable import StoplinkServer
import Testing

@Suite("SMTP client: a silent server, a refusing greeting, a bad address")
struct SMTPClientTests {
    /// Greets every connection with `greeting` (nothing when nil), then reads and ignores what comes.
    final class Greeter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let greeting: String?

        init(greeting: String?) { self.greeting = greeting }

        func channelActive(context: ChannelHandlerContext) {
            if let greeting { context.writeAndFlush(NIOAny(ByteBuffer(string: greeting)), promise: nil) }
        }
    }

    func withServer(greeting: String?, _ body: (Int) async throws -> Void) async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Greeter(greeting: greeting)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            try await body(try #require(channel.localAddress?.port))
        } catch {
            try await channel.close()
            throw error
        }
        try await channel.close()
    }

    func message() -> EmailMessage {
        EmailMessage(from: "stoplink@stp.example", to: "ops@acme.example", subject: "s", body: "b", date: Date(), messageID: "m@stp.example")
    }

    func failure(port: Int, replyTimeout: TimeAmount = .seconds(5)) async -> SMTPFailure? {
        let client = SMTPClient(
            settings: SMTPSettings(host: "127.0.0.1", port: port, security: .opportunistic), replyTimeout: replyTimeout
        )
        do {
            try await client.send(message())
            return nil
        } catch {
            return error
        }
    }

    @Test("a server that never answers is given up after the reply timeout, as a failure worth retrying")
    func silent() async throws {
        try await withServer(greeting: nil) { port in
            let failure = await failure(port: port, replyTimeout: .milliseconds(200))

            #expect(failure == .network("the server did not answer within 200 ms"))
            #expect(failure?.isPermanent == false)
        }
    }

    @Test("a 554 greeting is a permanent failure; a 421 greeting a temporary one")
    func refusingGreeting() async throws {
        try await withServer(greeting: "554 5.7.1 go away\r\n") { port in
            let failure = await failure(port: port)

            #expect(failure == .permanent(code: 554, step: "the greeting", text: "5.7.1 go away"))
        }
        try await withServer(greeting: "421-busy\r\n421 try later\r\n") { port in
            let failure = await failure(port: port)

            #expect(failure == .temporary(code: 421, step: "the greeting", text: "busy try later"))
            #expect(failure?.isPermanent == false)
        }
    }

    @Test("a bad recipient address is refused before any connection")
    func unsendable() async {
        let client = SMTPClient(settings: SMTPSettings(host: "127.0.0.1", port: 1, security: .opportunistic))
        var message = message()
        message.to = "ops@acme.example>\r\nRCPT TO:<victim@evil.example"

        await #expect(throws: SMTPFailure.unsendable("the To address is not a plain email address")) { try await client.send(message) }
    }
}
