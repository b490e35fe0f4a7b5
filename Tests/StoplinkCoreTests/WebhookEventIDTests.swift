import Foundation
import StoplinkCore
import Testing

@Suite("Webhook event ids")
struct WebhookEventIDTests {
    @Test("an event's id is stable, differs per event and per server secret, and does not show the sequence number")
    func opaqueAndStable() {
        let ids = WebhookEventID(secret: Data("server secret".utf8))
        let otherServer = WebhookEventID(secret: Data("another secret".utf8))

        let first = ids.id(ofSeq: 1)

        #expect(first == ids.id(ofSeq: 1))
        #expect(first != ids.id(ofSeq: 2))
        #expect(first != otherServer.id(ofSeq: 1))
        #expect(first.wholeMatch(of: /evt_[0-9a-f]{32}/) != nil)
        #expect(Set((1...1_000).map { ids.id(ofSeq: $0) }).count == 1_000)
    }
}
