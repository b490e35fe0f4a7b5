import ArgumentParser
import StoplinkServer
import StoplinkStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or update the database schema, then exit.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let config = try options.config()
        // Opening a SQLite file migrates it; PostgreSQL migrates under an advisory lock. Both
        // refuse a schema newer than this build.
        try await withStore(config, migrating: true) { _ in }
        print("database is up to date: \(PostgresURL.isPostgres(config.database) ? ((try? PostgresURL(config.database).redacted) ?? "postgres") : config.database)")
    }
}
