import Foundation

/// The most recent change in a number's ledger, as the rules need it.
public struct LatestConsent: Equatable, Sendable {
    public var action: ConsentAction
    public var occurredAt: Date

    public init(action: ConsentAction, occurredAt: Date) {
        self.action = action
        self.occurredAt = occurredAt
    }
}

/// What the ledger does with a requested change.
public enum LedgerDecision: Equatable, Sendable {
    /// Write the ledger row and update the suppression.
    case record
    /// The number is already opted out at least as widely: nothing is written.
    case alreadyCovered
    /// There is nothing to undo (an opt-in for a number that is not opted out).
    case nothingToChange
    /// A newer opposite change stands (a late STOP after a START, or the reverse): nothing is written.
    case supersededByLaterChange
}

/// The rules of the consent ledger, the same for every store and every caller. Each takes the
/// number's current state as plain values and says what to do; the store only persists.
public enum LedgerRules {
    /// An opt-out of `scope` over the current suppression (nil when not opted out). A narrower or
    /// equal opt-out over a wider one changes nothing; marketing → all widens with a new row.
    public static func optOut(_ scope: OptOutScope, over current: OptOutScope?) -> LedgerDecision {
        guard let current else { return .record }
        return current.covers(scope) ? .alreadyCovered : .record
    }

    /// An imported opt-out: an import never narrows and never touches a number already opted out
    /// at least as widely (it is counted as already present).
    public static func importedOptOut(_ scope: OptOutScope, over current: OptOutScope?) -> LedgerDecision {
        optOut(scope, over: current)
    }

    /// An opt-in over the current suppression: only a number that is opted out can opt back in.
    public static func optIn(over current: OptOutScope?) -> LedgerDecision {
        current == nil ? .nothingToChange : .record
    }

    /// A STOP or START sent at `sentAt` (it may arrive late), against the number's latest ledger
    /// change: a STOP older than the latest START changes nothing, nor does a START older than
    /// the latest STOP. The scope and state rules above still apply afterwards.
    public static func keyword(_ action: ConsentAction, sentAt: Date, latest: LatestConsent?) -> LedgerDecision {
        guard let latest, latest.action != action, latest.occurredAt > sentAt else { return .record }
        return .supersededByLaterChange
    }

    /// Applying a queued reply received at `receivedAt` as an opt-out, given the number's latest
    /// opt-in: a later opt-in wins, so the old message changes nothing.
    public static func queuedOptOut(receivedAt: Date, latestOptInAt: Date?) -> LedgerDecision {
        guard let latestOptInAt, latestOptInAt > receivedAt else { return .record }
        return .supersededByLaterChange
    }
}
