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

        func validate() throws {
            if name.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--name must not be empty") }
            if !PhoneMetadata.isKnownRegion(country) || country.count != 2 {
                throw ValidationError("--country must be an ISO 3166 alpha-2 code such as NL or US, not '\(country)'")
            }
            if Language.supportedTag(language) != language.lowercased() {
                throw ValidationError("--language must be one of \(Language.supported.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let config = try options.config()
            let company = try await withStore(config) { store in
                try await store.createCompany(
                    name: name.trimmingCharacters(in: .whitespaces), defaultCountry: country.uppercased(),
                    defaultLanguage: language.lowercased(), at: Date()
                )
            }
            print(company.id)
        }
    }
}
