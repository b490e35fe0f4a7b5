import Foundation
import Testing
@testable import StoplinkCore

@Suite("Identifiers and secrets")
struct IdentifiersTests {
    static let draws = 2_000
    static let alphabet = Set(ShortCode.alphabet)

    @Test("a company id is co_ and 12 code characters")
    func companyID() {
        let id = Identifiers.companyID()

        #expect(id.hasPrefix("co_"))
        #expect(id.count == 3 + 12)
        #expect(id.dropFirst(3).allSatisfy(Self.alphabet.contains))
    }

    @Test("a webhook endpoint id is we_ and 16 code characters")
    func endpointID() {
        let id = Identifiers.webhookEndpointID()

        #expect(id.hasPrefix("we_"))
        #expect(id.count == 3 + 16)
        #expect(id.dropFirst(3).allSatisfy(Self.alphabet.contains))
    }

    @Test("a webhook secret is whsec_ and base64 of 32 bytes")
    func webhookSecret() throws {
        let secret = Identifiers.webhookSecret()

        #expect(secret.hasPrefix("whsec_"))
        let bytes = try #require(Data(base64Encoded: String(secret.dropFirst(6))))
        #expect(bytes.count == 32)
    }

    @Test("an API key is sk_ and 32 code characters, and has an 11-character prefix")
    func apiKey() {
        let key = APIKey.generate()

        #expect(key.hasPrefix("sk_"))
        #expect(key.count == 3 + 32)
        #expect(key.dropFirst(3).allSatisfy(Self.alphabet.contains))
        #expect(APIKey.prefix(of: key) == String(key.prefix(11)))
    }

    @Test("no id, secret or key repeats over many draws")
    func unique() {
        let draws = Self.draws

        let companies = Set((0..<draws).map { _ in Identifiers.companyID() })
        let endpoints = Set((0..<draws).map { _ in Identifiers.webhookEndpointID() })
        let secrets = Set((0..<draws).map { _ in Identifiers.webhookSecret() })
        let keys = Set((0..<draws).map { _ in APIKey.generate() })

        #expect(companies.count == draws)
        #expect(endpoints.count == draws)
        #expect(secrets.count == draws)
        #expect(keys.count == draws)
    }

    @Test("every character of the alphabet turns up in ids, so none is stuck")
    func alphabetCovered() {
        let ids = (0..<500).map { _ in Identifiers.webhookEndpointID().dropFirst(3) }

        let seen = Set(ids.joined())

        #expect(seen == Self.alphabet)
    }
}
