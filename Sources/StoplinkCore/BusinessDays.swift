import Foundation

/// Deadlines counted in business days (Monday to Friday; public holidays are not known here).
public enum BusinessDays {
    public static func add(_ days: Int, to date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        var result = date
        var remaining = days
        while remaining > 0 {
            result = calendar.date(byAdding: .day, value: 1, to: result) ?? result.addingTimeInterval(86_400)
            if !calendar.isDateInWeekend(result) { remaining -= 1 }
        }
        return result
    }
}
