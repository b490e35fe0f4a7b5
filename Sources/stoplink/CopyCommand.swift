import ArgumentParser
import Foundation
import StoplinkServer
import StoplinkStore

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Move a whole installation between SQLite and PostgreSQL (either way), in batches, resumable.",
        discussion: """
            Stop `stoplink serve` on the source first. The target is created or migrated and must hold no companies, \
            unless it is an unfinished copy of the same source: running the same command again resumes it. \
            Dashboard sessions and lockout counters are not moved. The row counts of every table are compared at the end.
            """
    )

    @Option(help: "The installation to copy: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB.")
    var from: String

    @Option(help: "Where to copy it: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB.")
    var to: String

    @Option(help: "Rows per transaction (default 5000).")
    var batchSize: Int = 5000

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 100000") }
        guard from != to else { throw ValidationError("--from and --to name the same database") }
        for (name, url) in [("--from", from), ("--to", to)] {
            if PostgresURL.isPostgres(url) {
                do { _ = try PostgresURL(url) } catch { throw ValidationError("\(name): \(error)") }
            } else if AppConfig.sqlitePath(url) == nil {
                throw ValidationError("\(name) must be sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
            }
        }
        if let path = AppConfig.sqlitePath(from), !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("--from: no database file at \(path)")
        }
    }

    func run() async throws {
        let sourceName = Self.redacted(from)
        try await withStore(AppConfig(database: from)) { source in
            try await withStore(AppConfig(database: to), migrating: true) { target in
                do {
                    let results = try await StoreCopy.run(from: source, named: sourceName, to: target, batchSize: batchSize) { result in
                        printLine("\(result.table): \(result.copied) copied, \(result.total) in the target")
                    }
                    let rows = results.reduce(0) { $0 + $1.total }
                    print("copied \(sourceName) to \(Self.redacted(to)): \(results.count) tables, \(rows) rows, counts verified")
                } catch let error as CopyError {
                    throw ValidationError(error.description)
                }
            }
        }
    }

    static func redacted(_ url: String) -> String {
        PostgresURL.isPostgres(url) ? ((try? PostgresURL(url).redacted) ?? "postgres") : url
    }
}
