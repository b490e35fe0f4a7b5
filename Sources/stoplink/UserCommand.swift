import ArgumentParser
import Foundation
import StoplinkCore
import StoplinkServer
import StoplinkStore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the people who log in to a company's dashboard.",
        subcommands: [Add.self, Remove.self, ResetPassword.self]
    )

    /// The flags that name one user of one company.
    struct Target: ParsableArguments {
        @Option(help: "The company's id.")
        var company: String

        @Option(help: "The user's email address (compared without regard to case).")
        var email: String

        var normalizedEmail: String {
            get throws {
                guard let email = EmailAddress.normalize(email) else { throw ValidationError("--email must be an address such as ann@example.com, not '\(email)'") }
                return email
            }
        }
    }

    /// How a new password arrives: on standard input, or generated and printed once.
    struct PasswordSource: ParsableArguments {
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (one line); without it one is generated and printed once.")
        var fromStandardInput = false

        /// The password's bcrypt hash at the configured cost, and the password itself when it
        /// was generated (and so must be shown once).
        func hashed(_ config: AppConfig) throws -> (hash: String, generated: String?) {
            let (password, generated) = try readPassword()
            return (PasswordHasher(cost: config.bcryptCost).hash(password), generated ? password : nil)
        }

        private func readPassword() throws -> (String, generated: Bool) {
            guard fromStandardInput else { return (Password.generate(), true) }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard var text = String(data: data, encoding: .utf8) else { throw ValidationError("the password on standard input is not UTF-8") }
            if text.hasSuffix("\n") { text.removeLast() }
            if text.hasSuffix("\r") { text.removeLast() }
            if let problem = Password.problem(text) { throw ValidationError(problem) }
            return (text, false)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a dashboard user; a generated password is printed (once) as the last line."
        )

        @OptionGroup var options: CommonOptions
        @OptionGroup var target: Target
        @OptionGroup var source: PasswordSource

        @Option(help: "owner (may do everything) or marketer (reads, acts on numbers and queues; no keys, webhooks, numbers, users).")
        var role: UserRole

        func run() async throws {
            let email = try target.normalizedEmail
            let config = try options.config()
            let (hash, generated) = try source.hashed(config)
            let user = try await withStore(config) { store in
                guard try await store.company(id: target.company) != nil else {
                    throw ValidationError("no company with id \(target.company)")
                }
                do {
                    return try await store.createUser(companyID: target.company, email: email, role: role, passwordHash: hash, at: Date())
                } catch StoreError.userExists {
                    throw ValidationError("a user with email \(email) already exists")
                }
            }
            printError("added \(user.role.rawValue) \(user.email) to \(user.companyID)")
            if let generated { printGenerated(generated) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a dashboard user and end their sessions.")

        @OptionGroup var options: CommonOptions
        @OptionGroup var target: Target

        func run() async throws {
            let email = try target.normalizedEmail
            let removed = try await withStore(try options.config()) { store in
                try await store.removeUser(companyID: target.company, email: email)
            }
            guard let removed else { throw ValidationError("company \(target.company) has no user \(email)") }
            print("removed \(removed.email) from \(removed.companyID)")
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Set a user's new password and end their sessions; a generated one is printed (once) as the last line."
        )

        @OptionGroup var options: CommonOptions
        @OptionGroup var target: Target
        @OptionGroup var source: PasswordSource

        func run() async throws {
            let email = try target.normalizedEmail
            let config = try options.config()
            let (hash, generated) = try source.hashed(config)
            let user = try await withStore(config) { store in
                try await store.setPasswordHash(companyID: target.company, email: email, passwordHash: hash, at: Date())
            }
            guard let user else { throw ValidationError("company \(target.company) has no user \(email)") }
            printError("set a new password for \(user.email)")
            if let generated { printGenerated(generated) }
        }
    }
}

/// Shows a generated password, the only time it is shown.
private func printGenerated(_ password: String) {
    printError("the password is shown only once:")
    print(password)
}

extension UserRole: ExpressibleByArgument {}
