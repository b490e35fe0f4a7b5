import StoplinkCore
import Testing

@Suite("Inbound fingerprints")
struct InboundFingerprintTests {
    @Test("the same message has one fingerprint; any other sender, number or text, or parts split elsewhere, another")
    func distinguishes() {
        let stop = InboundFingerprint.of(from: "+31612345678", to: "3611", text: "STOP")

        #expect(stop == InboundFingerprint.of(from: "+31612345678", to: "3611", text: "STOP"))
        #expect(stop != InboundFingerprint.of(from: "+31612345678", to: "3611", text: "START"))
        #expect(stop != InboundFingerprint.of(from: "+31612345679", to: "3611", text: "STOP"))
        #expect(stop != InboundFingerprint.of(from: "+31612345678", to: "3612", text: "STOP"))
        #expect(InboundFingerprint.of(from: "a", to: "bc", text: "") != InboundFingerprint.of(from: "ab", to: "c", text: ""))
    }
}
