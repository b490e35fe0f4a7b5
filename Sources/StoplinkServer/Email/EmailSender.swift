import Foundation
import Logging
import ServiceLifecycle
import StoplinkCore
import StoplinkStore

/// Sends the email queue through one SMTP server, and queues each company's daily digest once
/// the day's digest hour (UTC) has come. Everything it needs is in the database, so emails
/// pending at a shutdown or crash go out after the next start.
///
/// A 4xx answer or a broken connection is tried again on the webhooks' schedule; a 5xx answer
/// (RFC 5321: do not repeat the request) or an unsendable message fails at once. Each email
/// that fails for good is logged at error level, with its address masked.
public final class EmailSender: Service, Sendable {
    public static let retryDelays = WebhookDispatcher.retryDelays
    /// Each email may take a connect and several replies with their timeouts: a lease far beyond a batch.
    static let claimLease: TimeInterval = 15 * 60
    static let batch = 5
    static let digestCheckInterval: TimeInterval = 60

    private let store: any Store
    private let clock: any WallClock
    private let client: SMTPClient
    private let from: String
    private let digestHour: Int
    private let logger: Logger
    /// nil: rounds run only when `runOnce` is called.
    private let pollInterval: Duration?

    public init(
        store: any Store, clock: any WallClock, client: SMTPClient, from: String, digestHour: Int, logger: Logger,
        pollInterval: Duration? = .milliseconds(500)
    ) {
        self.store = store
        self.clock = clock
        self.client = client
        self.from = from
        self.digestHour = digestHour
        self.logger = logger
        self.pollInterval = pollInterval
    }

    public func run() async throws {
        var lastDigestCheck: Date?
        await pollUntilShutdown(every: pollInterval) {
            let now = clock.now()
            if lastDigestCheck.map({ now.timeIntervalSince($0) >= Self.digestCheckInterval }) ?? true {
                lastDigestCheck = now
                await queueDueDigests()
            }
            return await runOnce()
        }
    }

    /// Queues today's digests (UTC) for every company that has a digest recipient without one,
    /// once the digest hour has come; answers how many were queued.
    @discardableResult
    public func queueDueDigests() async -> Int {
        let now = clock.now()
        guard Calendar.utc.component(.hour, from: now) >= digestHour else { return 0 }
        let day = EmailContent.day(now)
        do {
            var queued = 0
            for companyID in try await store.companiesDueForDigest(day: day) {
                guard let digest = try await EmailContent.digest(store: store, companyID: companyID, now: now) else { continue }
                queued += try await store.queueDigests(companyID: companyID, day: day, subject: digest.subject, body: digest.body, at: now)
            }
            return queued
        } catch {
            logger.error("could not queue the daily email digests", metadata: ["error": "\(error)"])
            return 0
        }
    }

    /// Sends what is due now, one email after another; answers how many attempts were made.
    @discardableResult
    public func runOnce() async -> Int {
        let due: [QueuedEmail]
        do {
            due = try await store.claimDueEmails(at: clock.now(), lease: Self.claimLease, limit: Self.batch)
        } catch {
            logger.error("could not read pending emails", metadata: ["error": "\(error)"])
            return 0
        }
        var companies: [String: Company?] = [:]
        for email in due {
            if companies[email.companyID] == nil { companies[email.companyID] = try? await store.company(id: email.companyID) }
            let outcome = await attempt(email, company: companies[email.companyID] ?? nil)
            do {
                try await store.recordEmailAttempt(id: email.id, outcome: outcome, at: clock.now())
            } catch {
                // The lease runs out and the email is tried again: at worst sent twice, never lost.
                logger.error("could not record an email attempt", metadata: ["email": "\(email.id)", "error": "\(error)"])
            }
        }
        return due.count
    }

    func attempt(_ email: QueuedEmail, company: Company?) async -> EmailOutcome {
        let content: (subject: String, body: String)
        switch email.kind {
        case .forward:
            guard let event = email.event else { return fail(email, .unsendable("the opt-out it reports is gone")) }
            content = EmailContent.forward(event, company: company)
        case .digest:
            content = (email.subject ?? "", email.body ?? "")
        }
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        let message = EmailMessage(
            from: from, to: email.address, subject: content.subject, body: content.body, date: clock.now(),
            messageID: "stoplink-\(email.kind.rawValue)-\(email.id)-\(UUID().uuidString.lowercased())@\(domain)"
        )
        do {
            try await client.send(message)
            logger.info("email sent", metadata: ["email": "\(email.id)", "kind": "\(email.kind.rawValue)", "to": "\(EmailAddress.masked(email.address))"])
            return .sent
        } catch {
            return fail(email, error)
        }
    }

    private func fail(_ email: QueuedEmail, _ failure: SMTPFailure) -> EmailOutcome {
        let attempt = email.attempts + 1
        let retryAt = failure.isPermanent || attempt > Self.retryDelays.count
            ? nil : clock.now().addingTimeInterval(Self.retryDelays[attempt - 1] * Double.random(in: 0.9...1.1))
        let metadata: Logger.Metadata = [
            "email": "\(email.id)", "company": "\(email.companyID)", "kind": "\(email.kind.rawValue)",
            "to": "\(EmailAddress.masked(email.address))", "attempt": "\(attempt)", "error": "\(failure.summary)",
        ]
        if retryAt == nil {
            logger.error("email failed for good", metadata: metadata)
        } else {
            logger.notice("email not sent, will retry", metadata: metadata)
        }
        return .failed(error: String(describing: failure), retryAt: retryAt)
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar
    }()
}
