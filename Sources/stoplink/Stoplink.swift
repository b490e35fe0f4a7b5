import ArgumentParser

@main
struct Stoplink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "SMS opt-outs by short link: the recipient's page, the ledger and the tools around them.",
        subcommands: [
            Serve.self, Migrate.self, CompanyCommand.self, KeyCommand.self, NumberCommand.self, LinksCommand.self, BackupCommand.self,
            PurgeCommand.self, UserCommand.self, EmailCommand.self, CopyCommand.self,
        ]
    )
}
