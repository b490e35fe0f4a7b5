import ArgumentParser
import Foundation
import StoplinkCore
import StoplinkServer
import StoplinkStore

struct EmailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "email", abstract: "Choose who at a company gets email: each opt-out forwarded, a daily digest, or both.",
        subcommands: [Add.self, Remove.self, List.self, Digest.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a recipient, or change what an existing one gets (sent by `serve` with --smtp-url)."
        )

        @OptionGroup var target: CompanyTarget

        @Option(help: "The recipient's address.")
        var address: String

        @Flag(help: "Forward each opt-out as it happens.")
        var forward = false

        @Flag(help: "Send a daily digest.")
        var digest = false

        func validate() throws {
            guard forward || digest else { throw ValidationError("choose --forward, --digest or both") }
            guard EmailAddress.isValid(address) else { throw ValidationError("--address must be a plain address such as ops@example.com") }
        }

        func run() async throws {
            let recipient = try await withStore(try target.options.config()) { store in
                try await store.setEmailRecipient(companyID: target.company, address: address, forward: forward, digest: digest, at: Date())
            }
            print("\(recipient.address)\t\(EmailCommand.wants(recipient))")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a recipient; their unsent emails are dropped.")

        @OptionGroup var target: CompanyTarget

        @Option(help: "The recipient's address.")
        var address: String

        func run() async throws {
            let removed = try await withStore(try target.options.config()) { store in
                try await store.removeEmailRecipient(companyID: target.company, address: address)
            }
            guard removed else { throw ValidationError("\(target.company) has no email recipient \(address)") }
            print("removed \(address)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a company's recipients, then its emails that failed in the last 30 days."
        )

        @OptionGroup var target: CompanyTarget

        func run() async throws {
            let (recipients, failures) = try await withStore(try target.options.config()) { store in
                guard try await store.company(id: target.company) != nil else { throw StoreError.companyNotFound(target.company) }
                return (
                    try await store.emailRecipients(companyID: target.company),
                    try await store.emailFailures(companyID: target.company, since: Date().addingTimeInterval(-30 * 24 * 3600), limit: 50)
                )
            }
            for recipient in recipients { print("\(recipient.address)\t\(EmailCommand.wants(recipient))") }
            if recipients.isEmpty { print("no recipients") }
            for failure in failures {
                print("failed\t\(failure.address)\t\(failure.kind.rawValue)\t\(failure.attempts) attempts\t\(failure.lastError ?? "")")
            }
        }
    }

    struct Digest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a digest of the last 24 hours to the company's digest recipients now (sent by `serve`)."
        )

        @OptionGroup var target: CompanyTarget

        func run() async throws {
            let queued = try await withStore(try target.options.config()) { store in
                guard let digest = try await EmailContent.digest(store: store, companyID: target.company, now: Date()) else {
                    throw StoreError.companyNotFound(target.company)
                }
                return try await store.queueDigests(companyID: target.company, day: nil, subject: digest.subject, body: digest.body, at: Date())
            }
            print("queued \(queued) digest\(queued == 1 ? "" : "s")")
        }
    }

    /// The database and the company every email command works on.
    struct CompanyTarget: ParsableArguments {
        @OptionGroup var options: CommonOptions

        @Option(help: "The company's id (co_...).")
        var company: String
    }

    static func wants(_ recipient: EmailRecipient) -> String {
        [recipient.forward ? "forward" : nil, recipient.digest ? "digest" : nil].compactMap { $0 }.joined(separator: ",")
    }
}
