import Foundation
import Testing
@testable import StoplinkCore

@Suite("Form tokens")
struct FormTokenTests {
    static let secret = Data("server-secret-for-tests".utf8)
    static let code = "k3m9x2q7vd"
    static let issuedAt = Date(timeIntervalSince1970: 1_750_000_000)

    @Test("a token issued for a code is valid for that code a minute later")
    func roundTrip() {
        let tokens = FormToken(secret: Self.secret)
        let token = tokens.issue(code: Self.code, at: Self.issuedAt)

        let valid = tokens.isValid(token, code: Self.code, at: Self.issuedAt.addingTimeInterval(60))

        #expect(valid)
    }

    @Test("the token has the documented shape: issued seconds, a dot, an unpadded base64url MAC")
    func shape() throws {
        let tokens = FormToken(secret: Self.secret)

        let token = tokens.issue(code: Self.code, at: Self.issuedAt)

        let parts = token.split(separator: ".")
        try #require(parts.count == 2)
        #expect(parts[0] == "1750000000")
        #expect(parts[1].count == 43)
        #expect(!parts[1].contains("=") && !parts[1].contains("+") && !parts[1].contains("/"))
    }

    @Test("a token is not valid for another code")
    func wrongCode() {
        let tokens = FormToken(secret: Self.secret)
        let token = tokens.issue(code: Self.code, at: Self.issuedAt)

        let valid = tokens.isValid(token, code: "k3m9x2q7ve", at: Self.issuedAt)

        #expect(!valid)
    }

    @Test("a token from a server with another secret is not valid")
    func otherSecret() {
        let other = FormToken(secret: Data("another-secret".utf8))
        let token = other.issue(code: Self.code, at: Self.issuedAt)

        let valid = FormToken(secret: Self.secret).isValid(token, code: Self.code, at: Self.issuedAt)

        #expect(!valid)
    }

    @Test("a recipient-page token never passes as a dashboard token, nor the other way round")
    func purposes() {
        let page = FormToken(secret: Self.secret)
        let dashboard = FormToken(secret: Self.secret, purpose: .dashboard)
        let pageToken = page.issue(code: Self.code, at: Self.issuedAt)
        let dashboardToken = dashboard.issue(code: Self.code, at: Self.issuedAt)

        #expect(!dashboard.isValid(pageToken, code: Self.code, at: Self.issuedAt))
        #expect(!page.isValid(dashboardToken, code: Self.code, at: Self.issuedAt))
        #expect(dashboard.isValid(dashboardToken, code: Self.code, at: Self.issuedAt))
    }

    @Test("the recipient page's tokens are what they were before purposes existed")
    func recipientKeyUnchanged() {
        let token = FormToken(secret: Self.secret, purpose: .recipientPage).issue(code: Self.code, at: Self.issuedAt)

        #expect(token == FormToken(secret: Self.secret).issue(code: Self.code, at: Self.issuedAt))
        #expect(token == "1750000000.9Z7-N3o3c4dTbDoYjd2VL_X88JaRMW85y9-jRyW5XpU")
    }

    @Test("a token is valid for four hours and no longer")
    func expiry() {
        let tokens = FormToken(secret: Self.secret)
        let token = tokens.issue(code: Self.code, at: Self.issuedAt)

        let atFourHours = tokens.isValid(token, code: Self.code, at: Self.issuedAt.addingTimeInterval(4 * 60 * 60))
        let justAfter = tokens.isValid(token, code: Self.code, at: Self.issuedAt.addingTimeInterval(4 * 60 * 60 + 1))

        #expect(atFourHours)
        #expect(!justAfter)
    }

    @Test("a token from the near future is accepted for clock skew, one from far ahead is not")
    func clockSkew() {
        let tokens = FormToken(secret: Self.secret)
        let slightlyAhead = tokens.issue(code: Self.code, at: Self.issuedAt.addingTimeInterval(4 * 60))
        let farAhead = tokens.issue(code: Self.code, at: Self.issuedAt.addingTimeInterval(10 * 60))

        let results = (
            tokens.isValid(slightlyAhead, code: Self.code, at: Self.issuedAt),
            tokens.isValid(farAhead, code: Self.code, at: Self.issuedAt)
        )

        #expect(results.0)
        #expect(!results.1)
    }

    @Test("a token whose time was moved is not valid")
    func tamperedTime() {
        let tokens = FormToken(secret: Self.secret)
        let token = tokens.issue(code: Self.code, at: Self.issuedAt)
        let mac = token.split(separator: ".")[1]
        // A later issue time would extend the token's life.
        let moved = "\(Int(Self.issuedAt.timeIntervalSince1970) + 3600).\(mac)"

        let valid = tokens.isValid(moved, code: Self.code, at: Self.issuedAt.addingTimeInterval(60))

        #expect(!valid)
    }

    @Test("a token with one character of its MAC changed is not valid")
    func tamperedMAC() throws {
        let tokens = FormToken(secret: Self.secret)
        let token = tokens.issue(code: Self.code, at: Self.issuedAt)
        var characters = Array(token)
        let index = try #require(characters.firstIndex(of: ".")) + 10
        characters[index] = characters[index] == "A" ? "B" : "A"
        let tampered = String(characters)

        let valid = tokens.isValid(tampered, code: Self.code, at: Self.issuedAt)

        #expect(tampered != token)
        #expect(!valid)
    }

    @Test("garbage is not a valid token", arguments: [
        "", ".", "garbage", "1750000000", "1750000000.", ".AAAA", "abc.AAAA",
        "1750000000.!!!!", "1750000000.AAAA.BBBB", "1750000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ])
    func garbage(token: String) {
        let tokens = FormToken(secret: Self.secret)

        let valid = tokens.isValid(token, code: Self.code, at: Self.issuedAt)

        #expect(!valid)
    }
}

@Suite("Base64URL")
struct Base64URLTests {
    @Test("uses - and _ and no padding")
    func encode() {
        let bytes = Data([0xFB, 0xFF, 0xBF])

        let encoded = Base64URL.encode(bytes)

        #expect(encoded == "-_-_")
        #expect(Base64URL.encode(Data([0xFF])) == "_w")
    }

    @Test("decoding reverses encoding for every length", arguments: 0..<8)
    func roundTrip(length: Int) {
        let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 77 &+ 251) })

        let decoded = Base64URL.decode(Base64URL.encode(bytes))

        #expect(decoded == bytes)
    }

    @Test("encodes as Foundation's base64 with - for +, _ for / and no padding, for every length", arguments: 0..<70)
    func matchesFoundation(length: Int) {
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })

        let encoded = Base64URL.encode(bytes)

        let expected = bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        #expect(encoded == expected)
    }

    @Test("text outside the alphabet does not decode")
    func rejects() {
        let text = "ab$d"

        let decoded = Base64URL.decode(text)

        #expect(decoded == nil)
    }
}
