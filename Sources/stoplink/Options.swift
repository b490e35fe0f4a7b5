import ArgumentParser
import Foundation
import StoplinkServer

/// Settings every command shares; each flag falls back to its `STOPLINK_*` variable, then a default.
struct CommonOptions: ParsableArguments {
    @Option(help: "Database URL: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=disable|prefer|require|verify-full&pool_size=N (env STOPLINK_DATABASE; default sqlite:stoplink.sqlite).")
    var database: String?

    @Option(name: .customLong("public-url"), help: "Base of every short link (env STOPLINK_PUBLIC_URL; default http://127.0.0.1:8080).")
    var publicURL: String?

    @Option(help: "Signing secret, at least 16 characters (env STOPLINK_SECRET; default: generated and kept in the database).")
    var secret: String?

    @Option(name: .customLong("code-length"), help: "Length of new short codes, 8–16 (env STOPLINK_CODE_LENGTH; default 10).")
    var codeLength: Int?

    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost of new dashboard passwords, 4–31 (env STOPLINK_BCRYPT_COST; default 12; lower only in tests).")
    var bcryptCost: Int?

    @Option(help: "Folder holding Templates/ and Public/ (env STOPLINK_RESOURCES; default: found from the working folder).")
    var resources: String?

    /// `validate`: check the shared settings here; `serve` passes false and checks every setting,
    /// its own included, in one message, before the database is touched.
    func config(host: String? = nil, port: Int? = nil, validate: Bool = true) throws -> AppConfig {
        let environment = ProcessInfo.processInfo.environment
        var config = AppConfig()
        config.host = host ?? environment["STOPLINK_HOST"] ?? config.host
        if let port { config.port = port } else if let value = environment["STOPLINK_PORT"] {
            guard let port = Int(value) else { throw ValidationError("STOPLINK_PORT must be a number, not '\(value)'") }
            config.port = port
        }
        config.database = database ?? environment["STOPLINK_DATABASE"] ?? config.database
        config.publicURL = publicURL ?? environment["STOPLINK_PUBLIC_URL"] ?? config.publicURL
        config.secret = secret ?? environment["STOPLINK_SECRET"]
        if let codeLength { config.codeLength = codeLength } else if let value = environment["STOPLINK_CODE_LENGTH"] {
            guard let length = Int(value) else { throw ValidationError("STOPLINK_CODE_LENGTH must be a number, not '\(value)'") }
            config.codeLength = length
        }
        if let bcryptCost { config.bcryptCost = bcryptCost } else if let value = environment["STOPLINK_BCRYPT_COST"] {
            guard let cost = Int(value) else { throw ValidationError("STOPLINK_BCRYPT_COST must be a number, not '\(value)'") }
            config.bcryptCost = cost
        }
        config.resourcesDirectory = resources ?? environment["STOPLINK_RESOURCES"] ?? Self.findResources()
        // Every command checks the settings it shares with `serve` the way `serve` does.
        let problems = validate ? config.problems(serving: false) : []
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
        return config
    }

    /// The working folder if it holds `Templates/`, else the nearest folder above the executable
    /// that does (so `swift run` works from anywhere inside a checkout).
    static func findResources() -> String {
        let fileManager = FileManager.default
        let current = fileManager.currentDirectoryPath
        if fileManager.fileExists(atPath: current + "/Templates") { return current }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" {
            if fileManager.fileExists(atPath: folder.appendingPathComponent("Templates").path) { return folder.path }
            folder.deleteLastPathComponent()
        }
        return current
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes a line to standard output at once.
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
