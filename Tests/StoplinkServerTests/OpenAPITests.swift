import Foundation
import Hummingbird
import HummingbirdTesting
@testable import StoplinkServer
import Testing

@Suite("The OpenAPI document")
struct OpenAPITests {
    /// `METHOD /path` of every operation in `Public/openapi.json`.
    static func documentedRoutes() throws -> Set<String> {
        let url = URL(fileURLWithPath: Fixture.packageRoot).appendingPathComponent("Public/openapi.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        return Set(paths.flatMap { path, operations in
            operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
        })
    }

    @Test("Every /api/v1 and /inbound route of the router is documented, and every documented route exists")
    func complete() async throws {
        let fixture = try await Fixture()
        let router = buildRouter(config: fixture.config, dependencies: fixture.dependencies)

        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }
            .filter { ($0.contains(" /api/v1/") || $0.contains(" /inbound/")) && !$0.hasPrefix("HEAD ") })
        let documented = try Self.documentedRoutes()

        #expect(routed.subtracting(documented).sorted() == [], "routes the document lacks")
        #expect(documented.subtracting(routed).sorted() == [], "documented routes that do not exist")
        #expect(routed.count >= 38)
    }

    @Test("The document is served at /api/v1/openapi.json without a key")
    func served() async throws {
        let fixture = try await Fixture()

        let response = try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get)
        }

        #expect(response.status == .ok)
        let document = try json(response)
        #expect(document["openapi"] as? String == "3.1.0")
    }
}
