import ArgumentParser
import Foundation
import StoplinkCore
import StoplinkServer

struct CompanyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "company", abstract: "Manage companies (senders).", subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a company; prints its id as the last line.")

        @OptionGroup var options: CommonOptions

        @Option(help: "Display name shown on the page.")
        var name: String

        @Option(help: "Default country, ISO 3166 alpha-2 (reads national numbers).")
        var country: String

        @Option(help: "Default language of the page: \(Language.supported.joined(separator: ", ")).")
        var language = "en"

        /// The API's rules for the same settings, named after this command's flags.
        var settings: CompanySettingsChange {
            CompanySettingsChange(name: name, defaultCountry: country, defaultLanguage: language)
        }

        func validate() throws {
            let flags = ["name": "--name", "default_country": "--country", "default_language": "--language"]
            let problems = settings.checked().problems
            guard problems.isEmpty else {
                throw ValidationError(problems.map { "\(flags[$0.field] ?? $0.field) \($0.reason)" }.joined(separator: "\n"))
            }
        }

        func run() async throws {
            let config = try options.config()
            let checked = settings.checked().normalised
            let company = try await withStore(config) { store in
                try await store.createCompany(
                    name: checked.name ?? name, defaultCountry: checked.defaultCountry ?? country,
                    defaultLanguage: checked.defaultLanguage ?? language, at: Date()
                )
            }
            print(company.id)
        }
    }
}
