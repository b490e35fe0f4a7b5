import ArgumentParser
import Foundation
import StoplinkCore
import StoplinkServer

struct NumberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "number", abstract: "Manage the SMS numbers that receive STOP replies.", subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Route replies sent to NUMBER (E.164, or a short code's digits) to a company.")

        @OptionGroup var options: CommonOptions

        @Option(help: "The company's id.")
        var company: String

        @Argument(help: "The number: +31612345678, or 36111 for a short code.")
        var number: String

        func run() async throws {
            try await withStore(try options.config()) { store in
                guard try await store.company(id: company) != nil else { throw ValidationError("no company with id \(company)") }
                guard let normalised = SMSNumber.normalise(number) else {
                    throw ValidationError("the number \(SMSNumber.formatHint), not '\(number)'")
                }
                guard try await store.addNumber(companyID: company, number: normalised, at: Date()) else {
                    throw ValidationError("\(normalised) already belongs to another company")
                }
                print(normalised)
            }
        }
    }
}
