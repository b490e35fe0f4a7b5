import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: consent ledger")
struct ConsentStoreContract {
    @Test("an opt-out writes one ledger row and the suppression", arguments: StoreFactory.all)
    func recordOptOut(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let number = try Sample.phone("+31612345678")

            let outcome = try await store.recordOptOut(Sample.optOut(company, number, campaign: campaign))

            let event = try #require(outcome.recorded)
            #expect(event.action == .optOut)
            #expect(event.phone == number)
            #expect(event.scope == .marketing)
            #expect(event.source == .link)
            #expect(event.campaignRef == "spring-sale")
            #expect(event.reason == "too_many")
            #expect(event.reasonText == "Too many messages")
            #expect(event.occurredAt == Sample.now)
            #expect(try await store.history(companyID: company.id, phone: number) == [event])
            let suppression = try #require(try await store.suppression(companyID: company.id, phone: number))
            #expect(suppression.companyID == company.id && suppression.phone == number)
            #expect(suppression.scope == .marketing && suppression.since == Sample.now)
            #expect(suppression.source == .link && suppression.campaignRef == "spring-sale")
        }
    }

    @Test("a second identical opt-out writes nothing and says it was already done", arguments: StoreFactory.all)
    func secondOptOutIsHarmless(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let number = try Sample.phone("+31612345678")
            _ = try await store.recordOptOut(Sample.optOut(company, number, campaign: campaign))

            let second = try await store.recordOptOut(Sample.optOut(company, number, campaign: campaign, at: Sample.now.addingTimeInterval(60)))

            guard case .alreadyOptedOut(let suppression) = second else {
                Issue.record("expected .alreadyOptedOut, got \(second)")
                return
            }
            #expect(suppression.since == Sample.now)
            #expect(suppression.scope == .marketing)
            #expect(try await store.history(companyID: company.id, phone: number).count == 1)
        }
    }

    @Test("marketing then all widens the scope with a second row; marketing after all writes nothing", arguments: StoreFactory.all)
    func scopeUpgrade(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone("+31612345678")
            _ = try await store.recordOptOut(Sample.optOut(company, number, scope: .marketing))

            let widened = try await store.recordOptOut(Sample.optOut(company, number, scope: .all, at: Sample.now.addingTimeInterval(60)))
            let narrower = try await store.recordOptOut(Sample.optOut(company, number, scope: .marketing, at: Sample.now.addingTimeInterval(120)))

            #expect(widened.recorded?.scope == .all)
            #expect(narrower.recorded == nil)
            let history = try await store.history(companyID: company.id, phone: number)
            #expect(history.map(\.scope) == [.marketing, .all])
            #expect(history[0].seq < history[1].seq)
            let suppression = try await store.suppression(companyID: company.id, phone: number)
            #expect(suppression?.scope == .all)
            #expect(suppression?.since == Sample.now.addingTimeInterval(60))
        }
    }

    @Test("an opt-out at one company does not touch another company or another number", arguments: StoreFactory.all)
    func optOutIsPerCompanyAndNumber(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            let number = try Sample.phone("+31612345678")

            _ = try await store.recordOptOut(Sample.optOut(company, number))

            #expect(try await store.suppression(companyID: other.id, phone: number) == nil)
            #expect(try await store.history(companyID: other.id, phone: number).isEmpty)
            #expect(try await store.suppression(companyID: company.id, phone: Sample.phone("+31612345679")) == nil)
        }
    }

    @Test("an opt-in removes the suppression and keeps its evidence in the ledger", arguments: StoreFactory.all)
    func optIn(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone("+31612345678")
            _ = try await store.recordOptOut(Sample.optOut(company, number, scope: .all))

            let event = try await store.recordOptIn(
                companyID: company.id, phone: number, source: .api, evidence: "signed form 12", at: Sample.now.addingTimeInterval(60)
            )

            #expect(event?.action == .optIn)
            #expect(event?.scope == .all)
            #expect(event?.evidence == "signed form 12")
            #expect(try await store.suppression(companyID: company.id, phone: number) == nil)
            #expect(try await store.history(companyID: company.id, phone: number).map(\.action) == [.optOut, .optIn])
        }
    }

    @Test("an opt-in for a number that is not opted out writes nothing", arguments: StoreFactory.all)
    func optInWithoutOptOut(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone("+31612345678")

            let event = try await store.recordOptIn(companyID: company.id, phone: number, source: .api, evidence: "form", at: Sample.now)

            #expect(event == nil)
            #expect(try await store.history(companyID: company.id, phone: number).isEmpty)
        }
    }

    @Test("a check answers every number in input order", arguments: StoreFactory.all)
    func check(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let out = try Sample.phone(1)
            let clear = try Sample.phone(2)
            _ = try await store.recordOptOut(Sample.optOut(company, out, scope: .all))

            let results = try await store.check(companyID: company.id, phones: [clear, out, clear])

            #expect(results.map(\.phone) == [clear, out, clear])
            #expect(results.map { $0.suppression?.scope } == [nil, .all, nil])
        }
    }

    @Test("a check of many numbers finds each suppression once, this company's only, whatever the repeats", arguments: StoreFactory.all)
    func checkMany(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Other", defaultCountry: "nl", defaultLanguage: "nl", at: Sample.now)
            let phones = try (0..<600).map { try Sample.phone($0) }
            for index in stride(from: 0, to: 600, by: 7) {
                _ = try await store.recordOptOut(Sample.optOut(company, phones[index], scope: index % 2 == 0 ? .all : .marketing, campaign: campaign))
            }
            for index in stride(from: 3, to: 600, by: 5) { _ = try await store.recordOptOut(Sample.optOut(other, phones[index])) }
            let asked = phones + phones.prefix(50).reversed()

            let results = try await store.check(companyID: company.id, phones: asked)

            #expect(results.map(\.phone) == asked)
            for (phone, result) in zip(asked, results) {
                let index = phones.firstIndex(of: phone)!
                #expect(result.suppression?.phone == (index % 7 == 0 ? phone : nil), "number \(index)")
                #expect(result.suppression?.scope == (index % 7 == 0 ? (index % 2 == 0 ? .all : .marketing) : nil), "number \(index)")
                #expect(result.suppression?.campaignRef == (index % 7 == 0 ? "spring-sale" : nil), "number \(index)")
            }
            #expect(try await store.check(companyID: company.id, phones: []).isEmpty)
        }
    }

    @Test("parallel opt-outs of one number write one ledger row", arguments: StoreFactory.all)
    func parallelOptOuts(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone("+31612345678")

            let outcomes = try await withThrowingTaskGroup(of: OptOutOutcome.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask { try await store.recordOptOut(Sample.optOut(company, number, at: Sample.now.addingTimeInterval(Double(index)))) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            #expect(outcomes.compactMap(\.recorded).count == 1)
            #expect(try await store.history(companyID: company.id, phone: number).count == 1)
        }
    }

    @Test("a number's history keeps the raw inbound text and the dashboard user of each row", arguments: StoreFactory.all)
    func historyDetail(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)
            let ann = ConsentActor(userID: "user-1", email: "ann@acme.example")
            var stop = Sample.optOut(company, number, source: .keyword)
            stop.rawText = "STOP please"

            _ = try await store.recordOptOut(stop)
            _ = try await store.recordOptIn(companyID: company.id, phone: number, source: .dashboard, evidence: "asked", actor: ann, at: Sample.now + 1)
            _ = try await store.recordOptOut(OptOutRequest(
                companyID: company.id, phone: number, scope: .all, source: .dashboard, reasonText: "by phone", occurredAt: Sample.now + 2, actor: ann
            ))
            let history = try await store.history(companyID: company.id, phone: number)

            #expect(history.map(\.rawText) == ["STOP please", nil, nil])
            #expect(history.map(\.actor) == [nil, ann, ann])
            #expect(history.last?.reasonText == "by phone")
            // The feed reads no detail it does not show.
            #expect(try await store.events(companyID: company.id, after: 0, upTo: 10, limit: 10).allSatisfy { $0.actor == nil && $0.rawText == nil })
        }
    }

    @Test("the list filters by scope, source, campaign and time, newest first, and pages without gaps or repeats", arguments: StoreFactory.all)
    func filteredList(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "NL", defaultLanguage: "en", at: Sample.now)
            for index in 0..<30 {
                // Pairs share a time, so the order among equal times is by number.
                let at = Sample.now - Double(index / 2) * 60
                _ = try await store.recordOptOut(Sample.optOut(
                    company, try Sample.phone(index), scope: index % 3 == 0 ? .all : .marketing, source: index % 2 == 0 ? .link : .api,
                    campaign: index % 2 == 0 ? campaign : nil, at: at
                ))
            }
            _ = try await store.recordOptOut(Sample.optOut(other, try Sample.phone(0)))

            var pages: [[Suppression]] = []
            var after: SuppressionPosition?
            repeat {
                let page = try await store.suppressions(companyID: company.id, matching: SuppressionFilter(), after: after, limit: 7)
                pages.append(page)
                after = page.last.map(SuppressionPosition.init)
            } while pages.last?.count == 7
            let all = pages.flatMap { $0 }
            let linkAll = SuppressionFilter(scope: .all, source: .link, campaignRef: "spring-sale")
            let window = SuppressionFilter(since: Sample.now - 4 * 60, before: Sample.now - 60)

            #expect(all.count == 30)
            #expect(Set(all.map(\.phone)).count == 30)
            #expect(all.map(\.phone.e164) == all.sorted { ($0.since, $1.phone.e164) > ($1.since, $0.phone.e164) }.map(\.phone.e164))
            #expect(all.first?.phone == (try Sample.phone(0)))
            #expect(try await store.suppressions(companyID: company.id, matching: linkAll, after: nil, limit: 100).map(\.phone)
                    == (try [0, 6, 12, 18, 24].map { try Sample.phone($0) }))
            #expect(try await store.suppressionCount(companyID: company.id, matching: linkAll) == 5)
            #expect(try await store.suppressionCount(companyID: company.id, matching: window) == 6)
            #expect(try await store.suppressionCount(companyID: company.id, matching: SuppressionFilter()) == 30)
            #expect(try await store.suppressionCount(companyID: other.id, matching: SuppressionFilter(campaignRef: "spring-sale")) == 0)
        }
    }

    @Test("of parallel opt-outs of one number, one is recorded and every other answers what that one recorded", arguments: StoreFactory.all)
    func parallelOptOutsAnswerTheRecordedOne(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let number = try Sample.phone("+31612345678")

            let outcomes = try await withThrowingTaskGroup(of: OptOutOutcome.self) { group in
                for index in 0..<Sample.writers {
                    group.addTask {
                        try await store.recordOptOut(Sample.optOut(company, number, campaign: campaign, at: Sample.now + Double(index)))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            let recorded = try #require(outcomes.compactMap(\.recorded).first)
            let others = outcomes.compactMap { outcome -> Suppression? in
                if case .alreadyOptedOut(let suppression) = outcome { suppression } else { nil }
            }
            #expect(others.count == Sample.writers - 1)
            #expect(others.allSatisfy { $0.since == recorded.occurredAt && $0.scope == .marketing && $0.campaignRef == "spring-sale" })
            #expect(try await store.suppression(companyID: company.id, phone: number)?.since == recorded.occurredAt)
        }
    }

    @Test("parallel opt-outs of both scopes and opt-ins of one number leave a ledger that the rules replay to the suppression", arguments: StoreFactory.all)
    func parallelChangesKeepLedgerAndSuppressionTogether(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()
            let number = try Sample.phone(1)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<(Sample.writers * 2) {
                    group.addTask {
                        let at = Sample.now + Double(index)
                        switch index % 3 {
                        case 0: _ = try await store.recordOptOut(Sample.optOut(company, number, scope: .marketing, at: at))
                        case 1: _ = try await store.recordOptOut(Sample.optOut(company, number, scope: .all, at: at))
                        default: _ = try await store.recordOptIn(companyID: company.id, phone: number, source: .api, evidence: "asked", at: at)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let history = try await store.history(companyID: company.id, phone: number)
            let suppression = try await store.suppression(companyID: company.id, phone: number)

            // Each row was a change when it was written, judged against the rows before it.
            var state: OptOutScope?
            for event in history {
                switch event.action {
                case .optOut:
                    #expect(LedgerRules.optOut(event.scope, over: state) == .record, "row \(event.seq) changed nothing")
                    state = event.scope
                case .optIn:
                    #expect(LedgerRules.optIn(over: state) == .record, "row \(event.seq) opted in a number that was not out")
                    state = nil
                }
            }
            #expect(!history.isEmpty)
            #expect(history.map(\.seq) == history.map(\.seq).sorted())
            #expect(suppression?.scope == state)
            #expect(suppression.map { $0.since == history.last?.occurredAt } ?? true)
        }
    }
}
