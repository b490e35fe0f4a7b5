import Foundation
import StoplinkCore
import StoplinkStore

/// One opt-out import, fed CSV in chunks: the rules of `POST /api/v1/suppressions/import` and of
/// the dashboard's import, in one place. Lines are `phone[,opted_out_at][,reason]` (read by
/// `RecipientCSVReader`), written through `ImportStore` in batches (source `import`, never an
/// opt-in), and every line's outcome comes back in input order.
struct OptOutImporter {
    enum Outcome: Equatable {
        case added(PhoneNumber)
        /// Already opted out at least as widely: nothing was written.
        case already(PhoneNumber)
        /// Why the line was not imported (safe to show; never the whole number).
        case rejected(String)
    }

    struct LineResult: Equatable {
        var line: Int
        /// The phone cell as written.
        var input: String
        var outcome: Outcome
    }

    let store: any Store
    let company: Company
    /// The dashboard user who imports, kept on every ledger row written.
    let actor: ConsentActor?
    let now: Date
    let metrics: StoplinkMetrics
    private var reader = RecipientCSVReader(extraColumns: ["opted_out_at", "reason"])
    /// Lines read since the last write: rejected ones are final, the others wait for the store.
    private var pending: [Pending] = []
    /// The CSV broke mid-file: the rest is not read.
    private(set) var stopped = false

    init(store: any Store, company: Company, actor: ConsentActor?, now: Date, metrics: StoplinkMetrics) {
        self.store = store
        self.company = company
        self.actor = actor
        self.now = now
        self.metrics = metrics
    }

    /// The lines `chunk` completes, once their batch is written (else an empty list for now).
    /// Throws `RecipientCSVError` when the file cannot be read at all (no phone column).
    mutating func feed(_ chunk: some Sequence<UInt8>) async throws -> [LineResult] {
        guard !stopped else { return [] }
        let lines: [RecipientLine]
        do {
            lines = try reader.feed(chunk)
        } catch {
            return try await stop(error)
        }
        for line in lines { pending.append(read(line)) }
        return pending.count >= RecipientCSVReader.batchSize ? try await flush() : []
    }

    /// The remaining lines; throws `RecipientCSVError` for an empty file or one without a phone column.
    mutating func finish() async throws -> [LineResult] {
        guard !stopped else { return [] }
        let lines: [RecipientLine]
        do {
            lines = try reader.finish()
        } catch {
            return try await stop(error)
        }
        for line in lines { pending.append(read(line)) }
        return try await flush()
    }

    private struct Pending {
        var line: Int
        var input: String
        var row: ImportRow?
        var rejection: String?
    }

    private func read(_ line: RecipientLine) -> Pending {
        let phone: PhoneNumber
        do {
            phone = try PhoneNumber(parsing: line.phone, defaultRegion: company.defaultCountry)
        } catch {
            return Pending(line: line.line, input: line.phone, rejection: error.description)
        }
        let timeText = line["opted_out_at"].trimmingCharacters(in: .whitespaces)
        var when = now
        if !timeText.isEmpty {
            guard let parsed = APIJSON.parseTimestamp(timeText), parsed <= now else {
                return Pending(line: line.line, input: line.phone, rejection: "opted_out_at must be an RFC 3339 time or date, not in the future")
            }
            when = parsed
        }
        let row = ImportRow(phone: phone, optedOutAt: when, reason: FreeText.clean(line["reason"], limit: 200))
        return Pending(line: line.line, input: line.phone, row: row)
    }

    private mutating func flush() async throws -> [LineResult] {
        guard !pending.isEmpty else { return [] }
        let rows = pending.compactMap(\.row)
        let counts = rows.isEmpty
            ? ImportCounts(added: 0, already: 0)
            : try await store.importOptOuts(companyID: company.id, rows: rows, scope: company.optOutScope, actor: actor)
        metrics.optOuts(source: .import, count: counts.added)
        var added = counts.addedRows.makeIterator()
        let results = pending.map { line in
            guard let row = line.row else { return LineResult(line: line.line, input: line.input, outcome: .rejected(line.rejection ?? "")) }
            let outcome: Outcome = added.next() == true ? .added(row.phone) : .already(row.phone)
            return LineResult(line: line.line, input: line.input, outcome: outcome)
        }
        pending.removeAll(keepingCapacity: true)
        return results
    }

    /// A file that breaks after its first line keeps what came before it and ends there; one that
    /// cannot be read at all is the caller's error.
    private mutating func stop(_ error: RecipientCSVError) async throws -> [LineResult] {
        guard reader.layout != nil, case .invalidCSV = error else { throw error }
        stopped = true
        var results = try await flush()
        results.append(LineResult(line: error.line ?? 0, input: "", outcome: .rejected(error.description + "; the rest of the file was not read")))
        return results
    }
}
