import ArgumentParser
import StoplinkServer

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or update the database schema, then exit.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let config = try options.config()
        _ = try openStore(config.database)
        print("database is up to date: \(config.database)")
    }
}
