import Foundation
import HummingbirdTesting
import StoplinkCore
import StoplinkStore
import Testing

@Suite("One rule for the recipient column of every CSV route")
struct RecipientColumnsTests {
    static let bodies = [
        "headerless": "+31687654321\n0687654322\n",
        "msisdn": "msisdn,name\n+31687654321,Ann\n0687654322,Bob\n",
        "mobile": "name,Mobile\nAnn,+31687654321\nBob,0687654322\n",
    ]

    @Test("Links, imports and message preparation read the same files the same way", arguments: ["headerless", "msisdn", "mobile"])
    func sameRule(layout: String) async throws {
        let fixture = try await APIFixture()
        let body = try #require(Self.bodies[layout])
        let numbers = [PhoneNumber(trustedE164: "+31687654321"), PhoneNumber(trustedE164: "+31687654322")]

        try await fixture.application().test(.router) { client in
            let links = try await client.csv("/api/v1/campaigns/spring-sale/links", key: fixture.key, body: body, accept: "text/csv")
            let prepared = try await client.csv(
                "/api/v1/messages/prepare?campaign=spring-sale&text=Hi&preview=true", key: fixture.key, body: body
            )
            let imported = try await client.csv("/api/v1/suppressions/import", key: fixture.key, body: body)

            #expect(links.status == .ok)
            let rows = text(links).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            #expect(rows.map { String($0[1]) } == numbers.map(\.e164))
            #expect(rows.allSatisfy { $0[4].isEmpty })
            #expect(prepared.status == .ok)
            let results = try #require(try json(prepared)["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["to"] as? String } == numbers.map(\.e164))
            #expect(imported.status == .ok)
            #expect(try json(imported)["added"] as? Int == 2)
        }
        for number in numbers {
            #expect(try await fixture.store.suppression(companyID: fixture.company.id, phone: number)?.source == .import)
        }
    }

    @Test("A header without a phone column is refused by every route, and nothing is written")
    func refused() async throws {
        let fixture = try await APIFixture()
        let body = "name,email\nAnn,ann@example.com\n"

        try await fixture.application().test(.router) { client in
            let answers = [
                try await client.csv("/api/v1/campaigns/spring-sale/links", key: fixture.key, body: body),
                try await client.csv("/api/v1/messages/prepare?campaign=spring-sale&text=Hi", key: fixture.key, body: body),
                try await client.csv("/api/v1/suppressions/import", key: fixture.key, body: body),
            ]
            for answer in answers {
                #expect(answer.status == .unprocessableContent)
                #expect(try errorCode(answer) == "missing_phone_column")
            }
        }
        let stats = try await fixture.store.stats(campaign: fixture.base.campaign, reasonTextLimit: 1, reasonTextsBefore: nil)
        #expect(stats.links == 1)
    }
}
