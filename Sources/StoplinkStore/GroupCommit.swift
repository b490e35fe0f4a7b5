import GRDB
import Synchronization

/// Groups the short writes that arrive together into one transaction: one commit, so one
/// `fsync`, for many opt-outs, each still answered only after that commit is on disk.
///
/// The first caller to find no group running leads: it runs its own write and every write
/// waiting at that moment (at most `maximumGroup`), each in a savepoint of one transaction,
/// commits, and answers them all. Writes arriving meanwhile wait; the leader then hands the
/// lead to the first of them, so no task drains on behalf of others for longer than one group
/// and no task is started outside the callers' own.
///
/// A cancelled caller does not cancel its group: once a write is handed to a group it is run
/// and, if the group commits, stored.
///
/// A write that throws rolls back its savepoint only: its caller gets the error, the others in
/// the group are not affected. A commit that fails fails every write of the group (none of them
/// is stored). If SQLite ended the transaction itself (a full disk, an I/O error), the writes
/// not yet run are not run outside it: the group stops and all of its writes fail.
final class GroupCommit: Sendable {
    let writer: any DatabaseWriter
    let maximumGroup: Int
    private let state = Mutex(State())
    /// Groups that asked for the writer and have not got it yet.
    private let waitingForWriter = Atomic<Int>(0)

    /// Whether a group waits for the writer: a long bulk write commits what it has done so far
    /// and lets it in (`SQLiteStore.yieldingWrite`), so an opt-out is not held for seconds.
    var isWaitingForWriter: Bool { waitingForWriter.load(ordering: .relaxed) > 0 }

    init(writer: any DatabaseWriter, maximumGroup: Int = 256) {
        self.writer = writer
        self.maximumGroup = maximumGroup
    }

    /// Runs `work` in the next group's transaction and answers its result once that
    /// transaction has committed.
    func write<Value: Sendable>(_ work: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        let outcome = Outcome<Value>()
        let job = Job(
            perform: { db in
                do {
                    var value: Value?
                    try db.inSavepoint {
                        value = try work(db)
                        return .commit
                    }
                    outcome.result = value.map { .success($0) }
                } catch {
                    outcome.result = .failure(error)
                }
            },
            fail: { error in outcome.result = .failure(error) }
        )
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            job.continuation = continuation
            let leads = state.withLock { state in
                if state.leading {
                    state.waiting.append(job)
                    return false
                }
                state.leading = true
                return true
            }
            if leads { continuation.resume(returning: .lead) }
        }
        if turn == .lead { await lead(with: job) }
        guard let result = outcome.result else { throw GroupCommitError.notRun }
        return try result.get()
    }

    /// How many writes wait for the running group to end (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Runs one write in a transaction of its own, counted as waiting for the writer until it
    /// has it, so that a long bulk write gives way to it too.
    func writeAlone<Value: Sendable>(_ body: @Sendable (Database) throws -> Value) async throws -> Value {
        let entered = Atomic<Bool>(false)
        waitingForWriter.add(1, ordering: .relaxed)
        defer { if !entered.exchange(true, ordering: .relaxed) { waitingForWriter.subtract(1, ordering: .relaxed) } }
        return try await writer.write { db in
            if !entered.exchange(true, ordering: .relaxed) { self.waitingForWriter.subtract(1, ordering: .relaxed) }
            return try body(db)
        }
    }

    /// Commits one group that starts with `first`, answers it, and passes the lead on.
    private func lead(with first: Job) async {
        let group = state.withLock { state in
            let taken = state.waiting.prefix(maximumGroup - 1)
            state.waiting.removeFirst(taken.count)
            return [first] + taken
        }
        let entered = Atomic<Bool>(false)
        waitingForWriter.add(1, ordering: .relaxed)
        do {
            // In a task of its own: the leader's caller may be cancelled (its client hung up),
            // which would cancel the database access and fail every other write of the group.
            let writer = self.writer
            try await Task {
                try await writer.write { db in
                    if !entered.exchange(true, ordering: .relaxed) { self.waitingForWriter.subtract(1, ordering: .relaxed) }
                    for job in group {
                        guard db.isInsideTransaction else { throw GroupCommitError.transactionEnded }
                        job.perform(db)
                    }
                }
            }.value
        } catch {
            for job in group { job.fail(error) }
        }
        if !entered.exchange(true, ordering: .relaxed) { waitingForWriter.subtract(1, ordering: .relaxed) }
        let next = state.withLock { state -> Job? in
            guard !state.waiting.isEmpty else {
                state.leading = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        for job in group.dropFirst() { job.continuation?.resume(returning: .done) }
        next?.continuation?.resume(returning: .lead)
    }

    private enum Turn { case lead, done }

    private struct State {
        var waiting: [Job] = []
        var leading = false
    }

    /// One caller's write. `continuation` is set before the job is shared, and `perform` or
    /// `fail` run only on the leader before it resumes the continuation, so the caller reads
    /// its outcome after the leader wrote it.
    private final class Job: @unchecked Sendable {
        let perform: (Database) -> Void
        let fail: (any Error) -> Void
        var continuation: CheckedContinuation<Turn, Never>?

        init(perform: @escaping (Database) -> Void, fail: @escaping (any Error) -> Void) {
            self.perform = perform
            self.fail = fail
        }
    }

    private final class Outcome<Value>: @unchecked Sendable {
        var result: Result<Value, any Error>?
    }
}

enum GroupCommitError: Error, CustomStringConvertible {
    /// SQLite rolled the group's transaction back in the middle (for example on a full disk).
    case transactionEnded
    /// The group ended without running this write (cannot happen unless the code above is wrong).
    case notRun

    var description: String {
        switch self {
        case .transactionEnded: "the database ended the transaction of a group of writes; none of them was stored"
        case .notRun: "a grouped write was never run"
        }
    }
}
