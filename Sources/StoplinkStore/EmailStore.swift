import Foundation
import StoplinkCore

/// The company's people who get email, and the queue of emails to them.
///
/// Guarantees:
/// - an opt-out's forward emails (one per recipient with `forward`) are written in the
///   transaction of the opt-out itself (`ConsentStore.recordOptOut` and every other path that
///   records one, such as an inbound STOP or an applied review item): an acknowledged opt-out
///   has its emails queued, even if the process dies the next moment. Opt-ins and imported
///   opt-outs are not forwarded (an import of a whole list would flood the inboxes);
/// - `queueDigests` with a `day` queues at most one digest per recipient and day, however
///   often and by however many processes it is called;
/// - `claimDueEmails` hands each due email to one caller only, leased until `at + lease`;
///   recording an attempt releases it, and a caller that dies leaves the lease to run out;
/// - addresses are checked with `EmailAddress.isValid` and compared without regard to case.
public protocol EmailStore: Sendable {
    /// Adds a recipient or changes what an existing one (same address) gets. At least one of
    /// `forward` and `digest` must be true; throws `StoreError.invalidEmailRecipient` otherwise or for a bad address.
    func setEmailRecipient(companyID: String, address: String, forward: Bool, digest: Bool, at: Date) async throws -> EmailRecipient
    /// Removes a recipient; their emails not yet sent are dropped. False when there was none.
    func removeEmailRecipient(companyID: String, address: String) async throws -> Bool
    /// The company's recipients, by address.
    func emailRecipients(companyID: String) async throws -> [EmailRecipient]
    /// Queues a digest with this text to each digest recipient of the company. With a `day`
    /// (`yyyy-MM-dd`, UTC) a recipient who already has that day's digest is skipped; nil queues
    /// one to everyone (a digest asked for by hand). Answers how many were queued.
    func queueDigests(companyID: String, day: String?, subject: String, body: String, at: Date) async throws -> Int
    /// The companies with a digest recipient who has no digest for `day` yet.
    func companiesDueForDigest(day: String) async throws -> [String]
    /// Opt-outs recorded in `[since, until)`, counted by campaign and by reason, most first.
    func digestFigures(companyID: String, since: Date, until: Date) async throws -> DigestFigures
    /// Claims, in one transaction, up to `limit` pending emails due at `at` that nobody holds,
    /// oldest first, each with the event it forwards.
    func claimDueEmails(at: Date, lease: TimeInterval, limit: Int) async throws -> [QueuedEmail]
    /// Records one attempt at a claimed email and releases it.
    func recordEmailAttempt(id: Int64, outcome: EmailOutcome, at: Date) async throws
    /// The company's emails that failed for good since `since`, newest first (for the overview).
    func emailFailures(companyID: String, since: Date, limit: Int) async throws -> [QueuedEmail]
    /// The company's emails, newest first.
    func emails(companyID: String, limit: Int) async throws -> [QueuedEmail]
}

public struct EmailRecipient: Equatable, Sendable {
    public var companyID: String
    public var address: String
    /// Each opt-out as it happens.
    public var forward: Bool
    /// A summary once a day.
    public var digest: Bool
    public var createdAt: Date
}

public enum EmailKind: String, Codable, Sendable {
    case forward
    case digest
}

public enum EmailStatus: String, Codable, Sendable {
    case pending
    case sent
    case failed
}

/// One email in the queue.
public struct QueuedEmail: Equatable, Sendable {
    public var id: Int64
    public var companyID: String
    public var address: String
    public var kind: EmailKind
    /// The opt-out a forward email reports.
    public var event: ConsentEvent?
    /// A digest's text, written when it was queued.
    public var subject: String?
    public var body: String?
    public var status: EmailStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var completedAt: Date?
    public var claimedUntil: Date?
}

/// What became of one attempt.
public enum EmailOutcome: Equatable, Sendable {
    case sent
    /// Try again at `retryAt`, or give up when it is nil.
    case failed(error: String, retryAt: Date?)
}

/// A digest's figures (see `EmailStore.digestFigures`).
public struct DigestFigures: Equatable, Sendable {
    public struct Count: Equatable, Sendable {
        /// A campaign's ref or a reason key; nil: none (an opt-out without campaign or reason).
        public var key: String?
        public var count: Int

        public init(key: String?, count: Int) {
            self.key = key
            self.count = count
        }
    }

    public var optOuts: Int
    public var byCampaign: [Count]
    public var byReason: [Count]

    public init(optOuts: Int, byCampaign: [Count], byReason: [Count]) {
        self.optOuts = optOuts
        self.byCampaign = byCampaign
        self.byReason = byReason
    }
}
