import Foundation
import StoplinkCore
@testable import StoplinkServer
@testable import StoplinkStore
import Testing

@Suite("Email sender: the digest schedule, the retry schedule, what emails and logs show")
struct EmailSenderTests {
    static let address = "ops@acme.example"

    /// A sender whose server refuses every connection (nothing listens on port 1 of loopback).
    func sender(_ fixture: Fixture, digestHour: Int = 9) -> EmailSender {
        EmailSender(
            store: fixture.store, clock: fixture.clock,
            client: SMTPClient(settings: SMTPSettings(host: "127.0.0.1", port: 1, security: .opportunistic)),
            from: "stoplink@stp.example", digestHour: digestHour, logger: fixture.logs.logger(), pollInterval: nil
        )
    }

    @Test("a day's digest is queued once the digest hour (UTC) has come, and once only")
    func digestSchedule() async throws {
        let fixture = try await Fixture()  // its clock starts at 2027-01-15 08:00 UTC
        _ = try await fixture.store.setEmailRecipient(
            companyID: fixture.company.id, address: Self.address, forward: false, digest: true, at: fixture.clock.now()
        )
        let sender = sender(fixture)

        let beforeTheHour = await sender.queueDueDigests()
        fixture.clock.advance(by: 3600)
        let atTheHour = await sender.queueDueDigests()
        let again = await sender.queueDueDigests()
        fixture.clock.advance(by: 24 * 3600)
        let nextDay = await sender.queueDueDigests()

        let counts: [Int] = [beforeTheHour, atTheHour, again, nextDay]
        #expect(counts == [0, 1, 0, 1])
        let digest = try #require(try await fixture.store.emails(companyID: fixture.company.id, limit: 1).first)
        #expect(digest.subject == "Stoplink digest: 0 opt-outs for Acme")
        #expect(digest.body?.contains("No review item is due within 48 hours.") == true)
    }

    @Test("an email the server never takes is retried on the schedule, then fails for good with one error line and no address in the logs")
    func retriesThenFails() async throws {
        let fixture = try await Fixture()
        _ = try await fixture.store.setEmailRecipient(
            companyID: fixture.company.id, address: Self.address, forward: true, digest: false, at: fixture.clock.now()
        )
        _ = try await fixture.store.recordOptOut(OptOutRequest(
            companyID: fixture.company.id, phone: fixture.link.phone, scope: .marketing, source: .link, campaignID: fixture.campaign.id,
            reason: nil, reasonText: nil, rawText: nil, occurredAt: fixture.clock.now()
        ))
        let sender = sender(fixture)

        var rounds = 0
        while try await fixture.store.emails(companyID: fixture.company.id, limit: 1).first?.status == .pending, rounds < 20 {
            await sender.runOnce()
            fixture.clock.advance(by: 12 * 3600)
            rounds += 1
        }

        let email = try #require(try await fixture.store.emails(companyID: fixture.company.id, limit: 1).first)
        #expect(email.status == .failed)
        #expect(email.attempts == EmailSender.retryDelays.count + 1)
        let errors = fixture.logs.lines.filter { $0.level == .error }
        #expect(errors.map(\.message) == ["email failed for good"])
        #expect(errors.first?.metadata["to"] == "o•••@acme.example")
        #expect(fixture.logs.lines.allSatisfy { line in
            !line.message.contains(Self.address) && !line.metadata.values.contains { $0.contains(Self.address) || $0.contains("612345678") }
        })
        #expect(try await fixture.store.emailFailures(companyID: fixture.company.id, since: .distantPast, limit: 10).map(\.id) == [email.id])
    }

    @Test("a forwarded opt-out shows the masked number, and a reason with line breaks stays in the body")
    func forwardContent() throws {
        let event = ConsentEvent(
            rowID: 1, seq: 7, companyID: "co_x", action: .optOut, phone: PhoneNumber(trustedE164: "+31612345678"), scope: .marketing,
            source: .keyword, campaignRef: "spring-sale", reason: "other", reasonText: "stop\r\nBcc: victim@evil.example", evidence: nil,
            occurredAt: Date(timeIntervalSince1970: 1_800_000_000)
        )

        let content = EmailContent.forward(event, company: nil)
        let rendered = try EmailMessage(
            from: "stoplink@stp.example", to: Self.address, subject: content.subject, body: content.body, date: Date(), messageID: "m@stp.example"
        ).rendered()

        #expect(content.subject == "Opt-out: •••••••78 (spring-sale)")
        #expect(content.body.contains("When:     2027-01-15 08:00 UTC"))
        #expect(!content.body.contains("612345678"))
        let head = try #require(rendered.components(separatedBy: "\r\n\r\n").first)
        #expect(!head.contains("Bcc"))
    }
}
