import Foundation
import PostgresNIO
import StoplinkCore

/// `ImportStore` on PostgreSQL: the decisions are taken in memory, under the company's lock, over
/// one read of the numbers' current scopes; the ledger rows then go in through one `COPY` and
/// their deliveries and suppressions through one statement each.
extension PostgresStore {
    public func importOptOuts(companyID: String, rows: [ImportRow], scope: OptOutScope, actor: ConsentActor?) async throws -> ImportCounts {
        let numbers = Array(Set(rows.map(\.phone.e164)))
        return try await write { connection in
            try await Self.lockFeed(connection, companyID: companyID, logger: logger)
            // Read after the lock: no other ledger write of the company changes these until this one commits.
            var current: [String: OptOutScope] = [:]
            if !numbers.isEmpty {
                let found = try await connection.rows(
                    "SELECT phone, scope FROM suppressions WHERE company_id = \(companyID) AND phone = ANY(\(numbers))", logger: logger
                )
                for (phone, raw) in try found.map({ try $0.decode((String, String).self) }) {
                    current[phone] = try Self.decode(OptOutScope.self, raw, column: "suppressions.scope")
                }
            }
            var counts = ImportCounts(added: 0, already: 0)
            counts.addedRows.reserveCapacity(rows.count)
            var added: [ImportRow] = []
            for row in rows {
                let decision = LedgerRules.importedOptOut(scope, over: current[row.phone.e164])
                counts.addedRows.append(decision == .record)
                guard decision == .record else {
                    counts.already += 1
                    continue
                }
                // A number twice in one import: the second row finds the first one's opt-out.
                current[row.phone.e164] = scope
                added.append(row)
            }
            counts.added = added.count
            guard !added.isEmpty else { return counts }

            let last = try await Self.takeFeedNumbers(connection, companyID: companyID, count: added.count, logger: logger)
            let feedNumbers = (last - Int64(added.count) + 1)...last
            try await connection.copyFrom(table: "consent_events", columns: CopyRow.columns, logger: logger) { writer in
                var buffer = ByteBuffer()
                for (offset, row) in added.enumerated() {
                    buffer.writeCopyRow([
                        companyID, String(feedNumbers.lowerBound + Int64(offset)), ConsentAction.optOut.rawValue, row.phone.e164,
                        scope.rawValue, ConsentSource.import.rawValue, row.reason, String(Millis.from(row.optedOutAt)),
                        actor?.userID, actor?.email,
                    ])
                    if buffer.readableBytes >= CopyRow.chunkSize {
                        try await writer.write(buffer)
                        buffer = ByteBuffer()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            try await Self.enqueueDeliveries(connection, companyID: companyID, feedNumbers: feedNumbers, action: .optOut, logger: logger)
            try await Self.applyOptOuts(connection, companyID: companyID, feedNumbers: feedNumbers, logger: logger)
            return counts
        }
    }
}

/// The ledger columns an import writes through `COPY`, in the order `writeCopyRow` gets them.
enum CopyRow {
    static let columns = [
        "company_id", "company_seq", "action", "phone", "scope", "source", "reason", "occurred_at", "user_id", "user_email",
    ]
    /// How much is sent to the server at a time.
    static let chunkSize = 1 << 16
}

extension ByteBuffer {
    /// One row of `COPY ... FROM STDIN` in text format: fields separated by tabs, NULL as `\N`,
    /// and the backslash, tab, newline and carriage return inside a field escaped.
    mutating func writeCopyRow(_ fields: [String?]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { writeInteger(UInt8(ascii: "\t")) }
            guard let field else {
                writeStaticString("\\N")
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): writeStaticString("\\\\")
                case UInt8(ascii: "\t"): writeStaticString("\\t")
                case UInt8(ascii: "\n"): writeStaticString("\\n")
                case UInt8(ascii: "\r"): writeStaticString("\\r")
                default: writeInteger(byte)
                }
            }
        }
        writeInteger(UInt8(ascii: "\n"))
    }
}
