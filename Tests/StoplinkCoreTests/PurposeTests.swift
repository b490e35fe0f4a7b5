import Testing
@testable import StoplinkCore

@Suite("Purposes and opt-out scopes")
struct PurposeTests {
    /// Every (scope, purpose) pair and whether an opt-out of that scope blocks that purpose.
    static let matrix: [(OptOutScope, Purpose, Bool)] = [
        (.marketing, .marketing, true),
        (.marketing, .informational, false),
        (.marketing, .transactional, false),
        (.all, .marketing, true),
        (.all, .informational, true),
        (.all, .transactional, true),
    ]

    @Test("a marketing opt-out blocks only marketing; an all opt-out blocks everything", arguments: matrix)
    func blocks(scope: OptOutScope, purpose: Purpose, blocked: Bool) {
        let optOut = scope

        let result = optOut.blocks(purpose)

        #expect(result == blocked)
    }

    @Test("the matrix names every scope and purpose")
    func matrixIsComplete() {
        let pairs = Self.matrix.map { "\($0.0.rawValue)/\($0.1.rawValue)" }

        let distinct = Set(pairs)

        #expect(distinct.count == OptOutScope.allCases.count * Purpose.allCases.count)
    }

    @Test("a one-time code still arrives after a marketing opt-out")
    func transactionalSurvivesMarketingOptOut() {
        let scope = OptOutScope.marketing

        let blocked = scope.blocks(.transactional)

        #expect(!blocked)
    }

    @Test("covers: all holds everything, marketing only itself", arguments: [
        (OptOutScope.all, OptOutScope.all, true),
        (.all, .marketing, true),
        (.marketing, .marketing, true),
        (.marketing, .all, false),
    ])
    func covers(current: OptOutScope, requested: OptOutScope, covered: Bool) {
        let held = current

        let result = held.covers(requested)

        #expect(result == covered)
    }

    @Test("raw values are the words in the API and the ledger")
    func rawValues() {
        let words = (Purpose.allCases.map(\.rawValue), OptOutScope.allCases.map(\.rawValue), ConsentSource.allCases.map(\.rawValue))

        let actions = [ConsentAction.optOut.rawValue, ConsentAction.optIn.rawValue]

        #expect(words.0 == ["marketing", "informational", "transactional"])
        #expect(words.1 == ["marketing", "all"])
        #expect(words.2 == ["link", "keyword", "api", "import", "dashboard"])
        #expect(actions == ["opt_out", "opt_in"])
    }
}
