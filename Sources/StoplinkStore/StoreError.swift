import GRDB

/// What a store reports that a caller may want to tell a user.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case companyNotFound(String)
    case campaignExists(String)
    case unsupportedDatabase(String)
    /// A row holds a value this build does not know: the database was changed outside Stoplink.
    case unknownStoredValue(column: String, value: String)
    /// The database was migrated by a newer Stoplink: this build must not read or write it.
    case schemaIsNewer(unknownMigrations: [String])
    /// A backup would overwrite an existing file.
    case backupExists(String)
    /// A fresh copy failed SQLite's integrity check.
    case backupDamaged(String)
    /// A user with this email already exists (emails are unique across companies).
    case userExists(String)
    /// The change would leave the company without an owner (the user with this email is the last one).
    case lastOwner(String)
    /// An email recipient that cannot be stored (a bad address, or neither forward nor digest).
    case invalidEmailRecipient(String)
    /// The webhook delivery with this number is being sent right now.
    case deliveryInFlight(Int64)
    /// A database URL that cannot be used, with what is wrong in it.
    case invalidDatabaseURL(String)
    /// The database server did not answer.
    case databaseUnavailable(String)
    /// The database lacks migrations this build needs (`stoplink migrate` applies them).
    case schemaIsBehind(missingMigrations: [String])

    public var description: String {
        switch self {
        case .companyNotFound(let id): "no company with id \(id)"
        case .campaignExists(let ref): "a campaign with ref \(ref) already exists"
        case .unsupportedDatabase(let url): "unsupported database URL \(url): use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB"
        case .invalidDatabaseURL(let problem): "invalid database URL: \(problem)"
        case .databaseUnavailable(let problem): problem
        case .schemaIsBehind(let missing):
            "the database schema is not current (missing migrations \(missing.joined(separator: ", "))): run `stoplink migrate` first"
        case .unknownStoredValue(let column, let value): "the database holds an unknown value '\(value)' in \(column)"
        case .schemaIsNewer(let unknown):
            "the database schema is newer than this stoplink knows (migrations \(unknown.joined(separator: ", "))): "
                + "run the newer stoplink that migrated it, or restore a backup"
        case .backupExists(let path): "\(path) already exists: choose a new file for the backup"
        case .userExists(let email): "a user with email \(email) already exists"
        case .invalidEmailRecipient(let problem): problem
        case .deliveryInFlight(let number): "delivery \(number) is being sent right now: try again when it is done"
        case .lastOwner(let email): "\(email) is the company's last owner: make another user an owner first"
        case .backupDamaged(let verdict): "the copy failed its integrity check (\(verdict)); the database was left as it is"
        }
    }
}

/// Whether an error came from the database itself (SQLite's own errors, or what a store found
/// wrong in it), as opposed to a caller's mistake; `/metrics` counts these.
public enum DatabaseFailure {
    public static func matches(_ error: any Error) -> Bool {
        if error is DatabaseError || PostgresStore.isDatabaseFailure(error) { return true }
        switch error as? StoreError {
        case .unknownStoredValue, .schemaIsNewer, .schemaIsBehind, .databaseUnavailable: return true
        default: return false
        }
    }
}
