import ArgumentParser
import Foundation
import StoplinkServer
import StoplinkStore

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove visit details, free-text reasons and raw inbound texts older than each company's retention periods.",
        discussion: "Every suppression and every ledger row (number, action, scope, source, time) is kept. `serve` runs the same purge daily."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let config = try options.config()
        let counts = try await withStore(config) { store in
            try await store.purgeExpired(at: Date(), batchSize: RetentionPurger.batchSize)
        }
        print("purged \(counts.visits) visits, \(counts.reasonTexts) free-text reasons, \(counts.inboundTexts) raw inbound texts")
    }
}
