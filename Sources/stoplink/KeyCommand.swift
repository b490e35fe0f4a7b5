import ArgumentParser
import Foundation
import StoplinkServer

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Manage API keys.", subcommands: [Create.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key; prints the key (shown once) as the last line.")

        @OptionGroup var options: CommonOptions

        @Option(help: "The company's id.")
        var company: String

        @Option(help: "A name to tell keys apart.")
        var name = ""

        func run() async throws {
            let (key, stored) = try await withStore(try options.config()) { store in
                guard try await store.company(id: company) != nil else { throw ValidationError("no company with id \(company)") }
                return try await store.createKey(companyID: company, name: name, at: Date())
            }
            printError("created key \(stored.prefix)… for \(company); it is shown only once:")
            print(key)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by its prefix (sk_ and 8 characters).")

        @OptionGroup var options: CommonOptions

        @Argument(help: "The key's prefix, or the whole key.")
        var prefix: String

        func run() async throws {
            let lookup = String(prefix.prefix(11))
            let found = try await withStore(try options.config()) { store in
                try await store.revokeKey(prefix: lookup, companyID: nil, at: Date())
            }
            guard let revoked = found else { throw ValidationError("no key with prefix \(lookup)") }
            print("revoked \(revoked.prefix) of \(revoked.companyID)")
        }
    }
}
