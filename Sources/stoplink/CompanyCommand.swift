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

        @Option(help: "Days visit details are kept (default \(RetentionPeriods.standard.visitsDays)).")
        var retainVisitsDays: Int?

        @Option(help: "Days free-text reasons are kept (default \(RetentionPeriods.standard.reasonsDays)).")
        var retainReasonsDays: Int?

        @Option(help: "Days raw inbound texts are kept (default \(RetentionPeriods.standard.inboundDays)).")
        var retainInboundDays: Int?

        /// The API's rules for the same settings, named after this command's flags.
        var settings: CompanySettingsChange {
            CompanySettingsChange(
                name: name, defaultCountry: country, defaultLanguage: language, retainVisitsDays: retainVisitsDays,
                retainReasonsDays: retainReasonsDays, retainInboundDays: retainInboundDays
            )
        }

        func validate() throws {
            let flags = [
                "name": "--name", "default_country": "--country", "default_language": "--language",
                "retain_visits_days": "--retain-visits-days", "retain_reasons_days": "--retain-reasons-days",
                "retain_inbound_days": "--retain-inbound-days",
            ]
            let problems = settings.checked().problems
            guard problems.isEmpty else {
                throw ValidationError(problems.map { "\(flags[$0.field] ?? $0.field) \($0.reason)" }.joined(separator: "\n"))
            }
        }

        func run() async throws {
            let config = try options.config()
            let checked = settings.checked().normalised
            let company = try await withStore(config) { store in
                var company = try await store.createCompany(
                    name: checked.name ?? name, defaultCountry: checked.defaultCountry ?? country,
                    defaultLanguage: checked.defaultLanguage ?? language, at: Date()
                )
                let retention = checked.retention(applyingTo: company.retention)
                if retention != company.retention {
                    company.retention = retention
                    try await store.updateCompany(company)
                }
                return company
            }
            print(company.id)
        }
    }
}
