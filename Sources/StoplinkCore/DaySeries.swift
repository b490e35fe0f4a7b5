import Foundation

/// Counts per UTC day (`yyyy-MM-dd`) as charts draw them: every day of a range, zero where
/// there is nothing, so a quiet day shows as a gap and not as a missing column.
public enum DaySeries {
    /// Every day from `first` through `last` (both as UTC days) with its count in `counts`, or 0;
    /// empty when `last` is before `first`. At most `maximumDays`, the latest kept.
    public static func filled(_ counts: [(date: String, count: Int)], from first: Date, through last: Date, maximumDays: Int = 400)
        -> [(date: String, count: Int)]
    {
        let calendar = utcCalendar
        let start = calendar.startOfDay(for: first)
        let end = calendar.startOfDay(for: last)
        guard start <= end else { return [] }
        let known = Dictionary(counts.map { ($0.date, $0.count) }, uniquingKeysWith: +)
        let days = (calendar.dateComponents([.day], from: start, to: end).day ?? 0) + 1
        let skipped = max(0, days - maximumDays)
        return (skipped..<days).compactMap { offset in
            guard let day = calendar.date(byAdding: .day, value: offset, to: start) else { return nil }
            let name = string(day)
            return (date: name, count: known[name] ?? 0)
        }
    }

    /// The UTC day of a moment, `yyyy-MM-dd`.
    public static func string(_ date: Date) -> String {
        let parts = utcCalendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The start of a `yyyy-MM-dd` UTC day; nil when it is not one.
    public static func date(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, text.count == 10 else { return nil }
        return utcCalendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }

    static var utcCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar
    }
}
