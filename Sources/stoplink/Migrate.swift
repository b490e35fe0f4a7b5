import ArgumentParser
import StoplinkServer

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or update the database schema, then exit.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let config = try options.config()
        // Opening a SQLite file migrates it, or refuses a schema newer than this build.
        try await withStore(config) { _ in }
        print("database is up to date: \(config.database)")
    }
}
