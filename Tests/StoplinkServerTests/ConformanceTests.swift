import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import StoplinkServer
import Testing

/// What the OpenAPI document promises about requests it does not describe: other methods, empty
/// bodies, query parameters that are not one of their values.
@Suite("Answers the document promises")
struct ConformanceTests {
    @Test("A known path under another method answers 405 with Allow; an unknown path still 404")
    func methodNotAllowed() async throws {
        let fixture = try await APIFixture()

        try await fixture.application().test(.router) { client in
            let trace = try await client.api(.trace, "/api/v1/check", key: fixture.key)
            let delete = try await client.api(.delete, "/api/v1/company", key: fixture.key)
            let parameter = try await client.api(.put, "/api/v1/webhooks/we_0000000000000000", key: fixture.key)
            let page = try await client.execute(uri: "/\(fixture.base.link.code)", method: .delete)
            let unknownPath = try await client.api(.get, "/api/v1/nothing-here", key: fixture.key)
            let unknownCampaign = try await client.api(.get, "/api/v1/campaigns/no-such-ref", key: fixture.key)
            let head = try await client.api(.head, "/api/v1/company", key: fixture.key)

            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers[.allow] == "POST")
            #expect(try errorCode(trace) == "method_not_allowed")
            #expect(delete.status == .methodNotAllowed)
            #expect(delete.headers[.allow] == "GET, HEAD, PATCH")
            #expect(parameter.status == .methodNotAllowed)
            #expect(parameter.headers[.allow] == "DELETE, GET, HEAD, PATCH")
            #expect(page.status == .methodNotAllowed)
            #expect(page.headers[.allow] == "GET, HEAD, POST")
            #expect(unknownPath.status == .notFound)
            #expect(try errorCode(unknownPath) == "not_found")
            #expect(unknownCampaign.status == .notFound, "a route that matched answers its own 404")
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test("A method is refused before the key is looked at: no route, nothing to authenticate")
    func methodNotAllowedWithoutKey() async throws {
        let fixture = try await APIFixture()

        let response = try await fixture.application().test(.router) { client in
            try await client.api(.trace, "/api/v1/keys", key: nil)
        }

        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "GET, HEAD, POST")
    }

    @Test("PATCH /api/v1/company without a body is refused; {} changes nothing and answers the settings")
    func emptyPatch() async throws {
        let fixture = try await APIFixture()

        try await fixture.application().test(.router) { client in
            let empty = try await client.api(.patch, "/api/v1/company", key: fixture.key)
            let nothing = try await client.api(.patch, "/api/v1/company", key: fixture.key, json: "{}")

            #expect(empty.status == .badRequest)
            #expect(try errorCode(empty) == "missing_body")
            #expect(nothing.status == .ok)
            #expect(try json(nothing)["name"] as? String == fixture.company.name)
        }
    }

    @Test("A purpose in the query is checked for JSON bodies too, and must agree with the body's")
    func preparePurpose() async throws {
        let fixture = try await APIFixture()
        let body = #"{"campaign": "spring-sale", "to": "+31612345678", "text": "Sale today"}"#

        try await fixture.application().test(.router) { client in
            let unknown = try await client.api(.post, "/api/v1/messages/prepare?purpose=AAA", key: fixture.key, json: body)
            let disagreeing = try await client.api(
                .post, "/api/v1/messages/prepare?purpose=transactional", key: fixture.key,
                json: #"{"campaign": "spring-sale", "to": "+31612345678", "text": "Sale today", "purpose": "marketing"}"#
            )
            let transactional = try await client.api(.post, "/api/v1/messages/prepare?purpose=transactional", key: fixture.key, json: body)
            let marketing = try await client.api(.post, "/api/v1/messages/prepare", key: fixture.key, json: body)

            #expect(unknown.status == .unprocessableContent)
            #expect(try errorCode(unknown) == "invalid_field")
            #expect(disagreeing.status == .unprocessableContent)
            #expect(transactional.status == .ok)
            #expect(try json(transactional)["line"] == nil || json(transactional)["line"] is NSNull, "a transactional text gets no opt-out line")
            #expect(try json(marketing)["line"] as? String != nil, "the campaign's marketing purpose adds the line")
        }
    }
}
