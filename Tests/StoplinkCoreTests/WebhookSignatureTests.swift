import Foundation
import StoplinkCore
import Testing

@Suite("Standard Webhooks signatures")
struct WebhookSignatureTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp = 1_614_265_330
    static let body = Data(#"{"test": 2432232314}"#.utf8)

    @Test("The specification's known-answer vector")
    func knownAnswer() throws {
        let signature = try WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret)

        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("Verification accepts any listed signature, and refuses another body, secret or an old timestamp")
    func verification() throws {
        let other = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
        let header = try WebhookSignature.header(id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [other, Self.secret])
        let now = Date(timeIntervalSince1970: TimeInterval(Self.timestamp + 10))

        #expect(header.split(separator: " ").count == 2)
        #expect(WebhookSignature.verify(header: header, id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret, now: now))
        #expect(!WebhookSignature.verify(header: header, id: Self.id, timestamp: Self.timestamp, body: Data("{}".utf8), secret: Self.secret, now: now))
        #expect(!WebhookSignature.verify(header: header, id: "msg_other", timestamp: Self.timestamp, body: Self.body, secret: Self.secret, now: now))
        #expect(!WebhookSignature.verify(
            header: header, id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret,
            now: now.addingTimeInterval(3600)
        ))
    }

    @Test("A secret that is not base64 is refused")
    func malformedSecret() {
        #expect(throws: WebhookSignature.SignatureError.malformedSecret) {
            try WebhookSignature.sign(id: "x", timestamp: 1, body: Data(), secret: "whsec_***")
        }
    }

    @Test("Only the first eight signatures of a header are checked: a header cannot buy thousands of HMACs")
    func signaturesAreCapped() throws {
        let good = try WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret)
        let now = Date(timeIntervalSince1970: TimeInterval(Self.timestamp))
        let decoys = Array(repeating: "v1,AAAA", count: SignatureHeaders.maximumSignatures)

        #expect(WebhookSignature.verify(header: (decoys.dropLast() + [good]).joined(separator: " "), id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret, now: now))
        #expect(!WebhookSignature.verify(header: (decoys + [good]).joined(separator: " "), id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret, now: now))
        #expect(SignatureHeaders.webhookSignatures("v2,AAAA v1,*** v1, v1,AAAA").count == 1)
    }

    @Test("A timestamp is digits only", arguments: [("1614265330", 1_614_265_330), ("+1614265330", nil), (" 1", nil), ("-5", nil), ("", nil), ("9999999999999", nil)])
    func timestamps(text: String, expected: Int?) {
        #expect(SignatureHeaders.webhookTimestamp(text) == expected)
    }
}
