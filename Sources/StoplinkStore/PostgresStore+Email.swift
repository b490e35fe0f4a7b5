import Foundation
import PostgresNIO
import StoplinkCore

/// `EmailStore` on PostgreSQL.
extension PostgresStore {
    public func setEmailRecipient(companyID: String, address: String, forward: Bool, digest: Bool, at: Date) async throws -> EmailRecipient {
        throw PostgresStore.unimplemented(#function)
    }

    public func removeEmailRecipient(companyID: String, address: String) async throws -> Bool {
        throw PostgresStore.unimplemented(#function)
    }

    public func emailRecipients(companyID: String) async throws -> [EmailRecipient] {
        throw PostgresStore.unimplemented(#function)
    }

    public func queueDigests(companyID: String, day: String?, subject: String, body: String, at: Date) async throws -> Int {
        throw PostgresStore.unimplemented(#function)
    }

    public func companiesDueForDigest(day: String) async throws -> [String] {
        throw PostgresStore.unimplemented(#function)
    }

    public func digestFigures(companyID: String, since: Date, until: Date) async throws -> DigestFigures {
        throw PostgresStore.unimplemented(#function)
    }

    public func claimDueEmails(at: Date, lease: TimeInterval, limit: Int) async throws -> [QueuedEmail] {
        throw PostgresStore.unimplemented(#function)
    }

    public func recordEmailAttempt(id: Int64, outcome: EmailOutcome, at: Date) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    public func emailFailures(companyID: String, since: Date, limit: Int) async throws -> [QueuedEmail] {
        throw PostgresStore.unimplemented(#function)
    }

    public func emails(companyID: String, limit: Int) async throws -> [QueuedEmail] {
        throw PostgresStore.unimplemented(#function)
    }

}

