import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// A second company with its own key, beside the landing fixture's company and key.
struct APIFixture {
    let base: Fixture
    let key: String
    let otherCompany: Company
    let otherKey: String

    init(database: TestDatabase = .configured, configure: (inout AppConfig) -> Void = { _ in }) async throws {
        base = try await Fixture(database: database, configure: configure)
        key = try await base.store.createKey(companyID: base.company.id, name: "test", at: base.clock.now()).key
        otherCompany = try await base.store.createCompany(name: "Other", defaultCountry: "US", defaultLanguage: "en", at: base.clock.now())
        otherKey = try await base.store.createKey(companyID: otherCompany.id, name: "other", at: base.clock.now()).key
    }

    var store: any Store { base.store }
    var company: Company { base.company }

    func application() -> some ApplicationProtocol { base.application() }
}

extension TestClientProtocol {
    /// A JSON request with `key`; the body is sent as given.
    func api(
        _ method: HTTPRequest.Method, _ path: String, key: String?, json: String? = nil, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields: HTTPFields = [:]
        if let key { fields[.authorization] = "Bearer \(key)" }
        if json != nil { fields[.contentType] = "application/json" }
        for field in headers { fields[field.name] = field.value }
        return try await execute(uri: path, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
    }

    func csv(_ path: String, key: String, body: String, accept: String = "application/json") async throws -> TestResponse {
        try await execute(
            uri: path, method: .post,
            headers: [.authorization: "Bearer \(key)", .contentType: "text/csv", .accept: accept],
            body: ByteBuffer(string: body)
        )
    }
}

/// The JSON object of a response.
func json(_ response: TestResponse) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    return try #require(object as? [String: Any], "not a JSON object: \(text(response))")
}

func errorCode(_ response: TestResponse) throws -> String? {
    (try json(response)["error"] as? [String: Any])?["code"] as? String
}
