import Foundation
@testable import StoplinkServer
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test("The hand-written formatter agrees with Foundation's over centuries, leap days and milliseconds")
    func agreesWithFoundation() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        reference.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        let fixed: [Int64] = [0, 1, 999, 951_782_400_000, 951_868_799_999, 1_709_164_800_123, 4_102_444_799_999, -1, -86_400_001]
        let random = (0..<2_000).map { _ in Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &generator) }

        for millis in fixed + random {
            let date = Date(timeIntervalSince1970: TimeInterval(millis) / 1000)

            let ours = APIJSON.timestamp(date)

            #expect(ours == reference.string(from: date), "\(millis)")
        }
    }
}
