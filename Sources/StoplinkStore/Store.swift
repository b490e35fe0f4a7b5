import Foundation
import ServiceLifecycle
import StoplinkCore

/// Everything the server and the command line need from a database. One implementation per
/// database; `Tests/StoplinkStoreTests` holds the contract suite each of them must pass.
///
/// Guarantees shared by every part (each protocol states its own):
/// - every method is one transaction: its writes are all visible to others or none are;
/// - the checks a method makes before it writes (is the number opted out, how many wrong
///   numbers, was this message id seen, is there a setting) hold at the moment it writes, even
///   with other writers in other processes at the same time.
public protocol Store: CompanyStore, LinkStore, ConsentStore, LockoutStore, ImportStore, StatsStore, VisitStore,
    IdempotencyStore, SettingStore, KeyStore, FeedStore, WebhookStore, InboundStore, RetentionStore,
    UserStore, SessionStore, AuditStore, EmailStore, LandingStore {
    /// Whether the database answers (for `/readyz`).
    func ping() async throws

    /// Background work the store needs while it is in use (a database client's connection
    /// pool, for instance); whoever opens the store runs them for as long as it uses it.
    var services: [any Service] { get }

    /// Closes the database once nothing uses it any more (after `services` have stopped), so
    /// the last writes are on disk before the process ends; the store must not be used afterwards.
    func close() throws
}
