import Foundation
import StoplinkCore
import Testing

@Suite("Days for charts and the time from send to opt-out")
struct DaySeriesTests {
    static let morning = Date(timeIntervalSince1970: 1_800_000_000) // 2027-01-15 08:00 UTC

    @Test("every day of the range is there, quiet days as 0, counts of other days left out")
    func filled() throws {
        let days = DaySeries.filled(
            [("2027-01-13", 2), ("2027-01-15", 5), ("2027-01-20", 9)],
            from: Self.morning.addingTimeInterval(-2 * 86_400), through: Self.morning.addingTimeInterval(86_400)
        )

        #expect(days.map(\.date) == ["2027-01-13", "2027-01-14", "2027-01-15", "2027-01-16"])
        #expect(days.map(\.count) == [2, 0, 5, 0])
    }

    @Test("a range across a month and a year end, one day, backwards, and too long")
    func edges() throws {
        let newYear = try #require(DaySeries.date("2026-12-31"))
        let across = DaySeries.filled([], from: newYear, through: newYear.addingTimeInterval(86_400))
        let one = DaySeries.filled([("2027-01-15", 1)], from: Self.morning, through: Self.morning)
        let backwards = DaySeries.filled([], from: Self.morning, through: Self.morning.addingTimeInterval(-86_400))
        let long = DaySeries.filled([], from: Self.morning.addingTimeInterval(-99 * 86_400), through: Self.morning, maximumDays: 30)

        #expect(across.map(\.date) == ["2026-12-31", "2027-01-01"])
        #expect(one.map(\.count) == [1])
        #expect(backwards.isEmpty)
        #expect(long.count == 30)
        #expect(long.last?.date == "2027-01-15")
    }

    @Test("a day's name and back", arguments: ["2027-01-15", "2024-02-29", "1999-12-31"])
    func roundTrip(day: String) throws {
        #expect(DaySeries.string(try #require(DaySeries.date(day))) == day)
    }

    @Test("not a day", arguments: ["", "2027-1-5", "yesterday", "2027-01-15T00:00"])
    func notADay(text: String) {
        #expect(DaySeries.date(text) == nil)
    }

    @Test("one label per bucket between rising bounds")
    func buckets() {
        #expect(SendDelay.labels.count == SendDelay.bounds.count + 1)
        #expect(SendDelay.bounds == SendDelay.bounds.sorted())
    }
}
