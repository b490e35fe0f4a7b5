import Foundation
import PostgresNIO
import StoplinkCore

/// `ConsentStore` on PostgreSQL.
extension PostgresStore {
    public func recordOptOut(_ request: OptOutRequest) async throws -> OptOutOutcome {
        throw PostgresStore.unimplemented(#function)
    }

    public func recordOptIn( companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String, actor: ConsentActor?, at: Date ) async throws -> ConsentEvent? {
        throw PostgresStore.unimplemented(#function)
    }

    public func suppression(companyID: String, phone: PhoneNumber) async throws -> Suppression? {
        throw PostgresStore.unimplemented(#function)
    }

    public func history(companyID: String, phone: PhoneNumber) async throws -> [ConsentEvent] {
        throw PostgresStore.unimplemented(#function)
    }

    public func check(companyID: String, phones: [PhoneNumber]) async throws -> [CheckResult] {
        throw PostgresStore.unimplemented(#function)
    }

    public func suppressions(companyID: String, matching filter: SuppressionFilter, after: SuppressionPosition?, limit: Int) async throws -> [Suppression] {
        throw PostgresStore.unimplemented(#function)
    }

    public func suppressionCount(companyID: String, matching filter: SuppressionFilter) async throws -> Int {
        throw PostgresStore.unimplemented(#function)
    }

}

/// Ledger steps other parts run inside their own transactions.
extension PostgresStore {
    /// The opt-out's ledger row (its feed number taken under the company row's lock), webhook
    /// deliveries, forward emails and suppression, inside the caller's transaction.
    static func recordOptOut(_ connection: PostgresConnection, _ request: OptOutRequest, logger: Logger) async throws -> OptOutOutcome {
        throw PostgresStore.unimplemented(#function)
    }

    /// An opt-in's ledger row, deliveries and the suppression's removal, inside the caller's
    /// transaction; nil when the number was not opted out.
    static func recordOptIn(
        _ connection: PostgresConnection, companyID: String, phone: PhoneNumber, source: ConsentSource, evidence: String,
        actor: ConsentActor? = nil, at: Date, logger: Logger
    ) async throws -> ConsentEvent? {
        throw PostgresStore.unimplemented(#function)
    }

    /// Ledger rows by their row ids (`ConsentEvent.rowID`, the `seq` column), oldest first.
    static func events(_ connection: PostgresConnection, rowIDs: [Int64], logger: Logger) async throws -> [ConsentEvent] {
        throw PostgresStore.unimplemented(#function)
    }

    /// Inserts the webhook deliveries of the event `seq` for every enabled endpoint of the
    /// company that wants `action`, numbered per endpoint. The caller holds the company row's
    /// lock (every ledger write takes it), so two events never take the same number.
    static func enqueueDeliveries(
        _ connection: PostgresConnection, companyID: String, seq: Int64, action: ConsentAction, at: Date, logger: Logger
    ) async throws {
        throw PostgresStore.unimplemented(#function)
    }

    /// Inserts the forward emails of the event `seq` for every recipient that wants them.
    static func enqueueForwardEmails(_ connection: PostgresConnection, companyID: String, seq: Int64, at: Date, logger: Logger) async throws {
        throw PostgresStore.unimplemented(#function)
    }
}
