import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import StoplinkServer
import Testing

@Suite("Pages and streams that fail")
struct PageRendererTests {
    @Test("A template that is not there is an error, never an empty page")
    func missingTemplate() async throws {
        let renderer = try await PageRenderer(resourcesDirectory: Fixture.packageRoot)

        #expect(throws: RendererError.self) { try renderer.render("no-such-template", language: "en", values: [:]) }
        #expect(try !renderer.render("message", language: "en", values: [:]).isEmpty)
    }

    @Test("A page that fails to render answers 500 with the error page and logs the failure at error level")
    func failureIsA500() async throws {
        let fixture = try await Fixture()
        let router = buildRouter(config: fixture.config, dependencies: fixture.dependencies)
        router.get("broken-page") { _, _ -> Response in throw RendererError.missingTemplate("broken") }
        let app = Application(router: router, logger: fixture.logs.logger())

        let response = try await app.test(.router) { client in try await client.open("/broken-page") }

        #expect(response.status == .internalServerError)
        #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
        #expect(!text(response).isEmpty)
        #expect(response.headers[.contentSecurityPolicy] != nil)
        let failure = try #require(fixture.logs.lines.first { $0.message == "request failed" })
        #expect(failure.level == .error)
        #expect(failure.metadata["error"]?.contains("broken") == true)
        #expect(failure.metadata["route"] == "/broken-page")
    }

    @Test("A streamed answer that fails midway ends with the error, logged at error level with its route")
    func streamFailure() async throws {
        struct Broken: Error {}
        let fixture = try await Fixture()
        let router = buildRouter(config: fixture.config, dependencies: fixture.dependencies)
        router.get("broken-stream") { _, _ -> Response in
            Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "a first line\n"))
                throw Broken()
            })
        }
        let app = Application(router: router, logger: fixture.logs.logger())

        try await app.test(.router) { client in
            await #expect(throws: Broken.self) { try await client.execute(uri: "/broken-stream", method: .get) }
        }

        let failure = try #require(fixture.logs.lines.first { $0.message == "a streamed answer ended with an error" })
        #expect(failure.level == .error)
        #expect(failure.metadata["route"] == "/broken-stream")
        #expect(failure.metadata["status"] == "200")
    }
}
