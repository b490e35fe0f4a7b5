import ArgumentParser
import Foundation
import StoplinkServer
import StoplinkStore

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the whole database to a new file, consistently, while the service keeps running.",
        discussion: "Restore by stopping `stoplink serve`, moving the copy to the database's path (removing its -wal and -shm files) and starting it again."
    )

    @OptionGroup var options: CommonOptions

    @Argument(help: "The new file to write; an existing file is never overwritten.")
    var file: String

    func run() async throws {
        let config = try options.config()
        try await withStore(config) { store in
            guard let backups = store as? any BackupStore else {
                throw ValidationError("this database is backed up with its own tools (for PostgreSQL: pg_dump)")
            }
            do {
                try await backups.backup(to: file)
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
        print(file)
    }
}
