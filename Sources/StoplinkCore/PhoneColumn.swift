import Foundation

/// Finds the phone numbers in a CSV of recipients: the `phone` column when the first line
/// names its columns, else the first column.
public enum PhoneColumn {
    static let names: Set<String> = ["phone", "phone_number", "msisdn", "mobile", "number", "to"]

    /// The index of the phone column named in `header`, or 0.
    public static func find(in header: [String]) -> Int {
        names.compactMap { CSVHeader.column($0, in: header) }.min() ?? 0
    }

    /// Whether a first line is a header: it names a phone column, or holds no digit at all.
    public static func isHeader(_ fields: [String]) -> Bool {
        names.contains { CSVHeader.column($0, in: fields) != nil } || !fields.joined().contains(where: \.isNumber)
    }
}
