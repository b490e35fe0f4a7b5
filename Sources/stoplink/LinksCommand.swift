import ArgumentParser
import Foundation
import StoplinkCore
import StoplinkServer
import StoplinkStore

struct LinksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "links", abstract: "Issue short links.", subcommands: [Issue.self]
    )

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a link per number of a CSV file (a phone column, or one number a line).",
            discussion: "Writes CSV phone,code,url to standard output; unreadable lines go to standard error with their line numbers."
        )

        @OptionGroup var options: CommonOptions

        @Option(help: "The company's id.")
        var company: String

        @Option(help: "The campaign's ref; created when it does not exist.")
        var campaign: String

        @Argument(help: "CSV file of phone numbers ('-' for standard input).")
        var file: String

        func run() async throws {
            let config = try options.config()
            try await withStore(config) { store in
                guard let owner = try await store.company(id: company) else {
                    throw ValidationError("no company with id \(company)")
                }
                let target = try await campaignNamed(campaign, of: owner, in: store)
                guard let input = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
                    throw ValidationError("cannot read \(file)")
                }
                var reader = RecipientCSVReader()
                var batch: [(line: Int, phone: PhoneNumber)] = []
                var rejected = 0
                printLine("phone,code,url")

                func take(_ lines: [RecipientLine]) async throws {
                    for line in lines {
                        do {
                            batch.append((line.line, try PhoneNumber(parsing: line.phone, defaultRegion: owner.defaultCountry)))
                        } catch {
                            rejected += 1
                            printError("line \(line.line): \(line.phone): \(error)")
                        }
                        if batch.count >= RecipientCSVReader.batchSize { try await flush() }
                    }
                }
                func flush() async throws {
                    let links = try await store.issueLinks(
                        campaign: target, phones: batch.map(\.phone), codeLength: config.codeLength, at: Date()
                    )
                    var out = ""
                    for link in links {
                        out += CSVWriter.row([link.phone.e164, link.code, config.url(of: link.code)])
                    }
                    FileHandle.standardOutput.write(Data(out.utf8))
                    batch.removeAll(keepingCapacity: true)
                }

                do {
                    while let chunk = try input.read(upToCount: 1 << 16), !chunk.isEmpty {
                        try await take(reader.feed(chunk))
                    }
                    try await take(reader.finish())
                } catch let error as RecipientCSVError {
                    try await flush()
                    throw ValidationError("\(file): \(error)")
                }
                try await flush()
                if rejected > 0 { printError("\(rejected) line(s) could not be read") }
            }
        }

        private func campaignNamed(_ ref: String, of company: Company, in store: any Store) async throws -> Campaign {
            if let found = try await store.campaign(companyID: company.id, ref: ref) { return found }
            do {
                return try await store.createCampaign(companyID: company.id, ref: ref, name: ref, purpose: .marketing, at: Date())
            } catch StoreError.campaignExists {
                guard let found = try await store.campaign(companyID: company.id, ref: ref) else { throw StoreError.campaignExists(ref) }
                return found
            }
        }
    }
}
