import Foundation
import StoplinkCore
import Testing

@Suite("The wrong-number lockout")
struct LockoutTests {
    @Test("Five wrong numbers lock a link; four do not")
    func limit() {
        let lockout = Lockout.standard
        #expect(lockout.limit == 5)
        #expect(!lockout.isLocked(wrongNumbers: 0))
        #expect(!lockout.isLocked(wrongNumbers: 4))
        #expect(lockout.isLocked(wrongNumbers: 5))
        #expect(lockout.isLocked(wrongNumbers: 6))
    }

    @Test("Wrong numbers count for 24 hours")
    func window() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(Lockout.standard.windowStart(at: now) == now.addingTimeInterval(-86_400))
        let short = Lockout(limit: 2, window: 60)
        #expect(short.windowStart(at: now) == now.addingTimeInterval(-60))
        #expect(short.isLocked(wrongNumbers: 2))
    }
}
