import Foundation
import Testing
@testable import StoplinkCore

@Suite("Ledger rules")
struct LedgerRulesTests {
    let noon = Date(timeIntervalSince1970: 1_750_000_000)

    // MARK: Already opted out at least as widely

    @Test("a number that is not opted out is opted out", arguments: OptOutScope.allCases)
    func firstOptOut(scope: OptOutScope) {
        let current: OptOutScope? = nil

        let decision = LedgerRules.optOut(scope, over: current)

        #expect(decision == .record)
    }

    @Test("an opt-out over one at least as wide changes nothing", arguments: [
        (OptOutScope.marketing, OptOutScope.marketing), (.marketing, .all), (.all, .all),
    ])
    func alreadyCovered(requested: OptOutScope, current: OptOutScope) {
        let decision = LedgerRules.optOut(requested, over: current)

        #expect(decision == .alreadyCovered)
    }

    @Test("an opt-out of everything over a marketing one widens it")
    func widens() {
        let current = OptOutScope.marketing

        let decision = LedgerRules.optOut(.all, over: current)

        #expect(decision == .record)
    }

    // MARK: Imports

    @Test("an import never narrows an opt-out of everything")
    func importNeverNarrows() {
        let current = OptOutScope.all

        let decision = LedgerRules.importedOptOut(.marketing, over: current)

        #expect(decision == .alreadyCovered)
    }

    @Test("an import adds a number that is not opted out and widens a marketing one")
    func importAddsAndWidens() {
        let decisions = (
            LedgerRules.importedOptOut(.marketing, over: nil),
            LedgerRules.importedOptOut(.all, over: .marketing)
        )

        #expect(decisions.0 == .record)
        #expect(decisions.1 == .record)
    }

    // MARK: Opt-ins

    @Test("an opt-in needs an opt-out to undo")
    func optIn() {
        let decisions = (LedgerRules.optIn(over: nil), LedgerRules.optIn(over: .marketing), LedgerRules.optIn(over: .all))

        #expect(decisions.0 == .nothingToChange)
        #expect(decisions.1 == .record)
        #expect(decisions.2 == .record)
    }

    // MARK: Late keywords

    @Test("a STOP sent before the latest START changes nothing")
    func lateStop() {
        let latest = LatestConsent(action: .optIn, occurredAt: noon)

        let decision = LedgerRules.keyword(.optOut, sentAt: noon.addingTimeInterval(-60), latest: latest)

        #expect(decision == .supersededByLaterChange)
    }

    @Test("a START sent before the latest STOP changes nothing")
    func lateStart() {
        let latest = LatestConsent(action: .optOut, occurredAt: noon)

        let decision = LedgerRules.keyword(.optIn, sentAt: noon.addingTimeInterval(-60), latest: latest)

        #expect(decision == .supersededByLaterChange)
    }

    @Test("a keyword after the latest change, at the same instant, or over the same action is applied", arguments: [
        (ConsentAction.optOut, ConsentAction.optIn, 60.0), (.optOut, .optIn, 0), (.optIn, .optOut, 60),
        (.optOut, .optOut, -60), (.optIn, .optIn, -60),
    ])
    func keywordApplies(action: ConsentAction, latestAction: ConsentAction, secondsAfterLatest: Double) {
        let latest = LatestConsent(action: latestAction, occurredAt: noon)

        let decision = LedgerRules.keyword(action, sentAt: noon.addingTimeInterval(secondsAfterLatest), latest: latest)

        #expect(decision == .record)
    }

    @Test("a keyword for a number with no history is applied", arguments: [ConsentAction.optOut, .optIn])
    func keywordWithoutHistory(action: ConsentAction) {
        let decision = LedgerRules.keyword(action, sentAt: noon, latest: nil)

        #expect(decision == .record)
    }

    // MARK: The review queue

    @Test("a later opt-in wins over a queued message applied afterwards")
    func laterOptInWins() {
        let received = noon

        let decision = LedgerRules.queuedOptOut(receivedAt: received, latestOptInAt: noon.addingTimeInterval(3600))

        #expect(decision == .supersededByLaterChange)
    }

    @Test("a queued message is applied when no opt-in came after it")
    func queuedApplies() {
        let decisions = (
            LedgerRules.queuedOptOut(receivedAt: noon, latestOptInAt: nil),
            LedgerRules.queuedOptOut(receivedAt: noon, latestOptInAt: noon.addingTimeInterval(-3600)),
            LedgerRules.queuedOptOut(receivedAt: noon, latestOptInAt: noon)
        )

        #expect(decisions.0 == .record)
        #expect(decisions.1 == .record)
        #expect(decisions.2 == .record)
    }
}
