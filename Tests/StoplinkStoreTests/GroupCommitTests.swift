import Dispatch
import Foundation
import GRDB
import StoplinkCore
import Synchronization
@testable import StoplinkStore
import Testing

@Suite("Writes that arrive together share one commit")
struct GroupCommitTests {
    /// A table of numbers, a writer on it, and a count of the commits it has made.
    struct Setup {
        let queue: DatabaseQueue
        let commits: CommitCounter
        let group: GroupCommit

        init() throws {
            queue = try DatabaseQueue()
            try queue.write { db in try db.execute(sql: "CREATE TABLE numbers (n INTEGER PRIMARY KEY)") }
            commits = CommitCounter()
            queue.add(transactionObserver: commits, extent: .databaseLifetime)
            group = GroupCommit(writer: queue)
        }

        func stored() throws -> [Int] {
            try queue.read { db in try Int.fetchAll(db, sql: "SELECT n FROM numbers ORDER BY n") }
        }

        /// Holds the writer until `release` is signalled, and answers once it holds it.
        func holdWriter(until release: DispatchSemaphore) async -> Task<Void, any Error> {
            let held = DispatchSemaphore(value: 0)
            let task = Task { try await queue.write { _ in held.signal(); release.wait() } }
            await Task.detached { held.wait() }.value
            return task
        }

        /// Waits until `count` writes wait behind the running group.
        func waitForWaiting(_ count: Int) async throws {
            while group.waitingCount < count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    struct Refused: Error {}

    final class CommitCounter: TransactionObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        private var refuse = false

        var commits: Int { lock.withLock { count } }
        func refuseCommits() { lock.withLock { refuse = true } }

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseWillCommit() throws {
            if lock.withLock({ refuse }) { throw Refused() }
        }
        func databaseDidCommit(_ db: Database) { lock.withLock { count += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    @Test("writes waiting while a group commits are all stored by the next group, in one commit")
    func waitingWritesShareOneCommit() async throws {
        let setup = try Setup()
        let release = DispatchSemaphore(value: 0)
        let holder = await setup.holdWriter(until: release)

        // The first write leads, alone, and waits for the writer; the other 49 queue behind it.
        let writes = Task {
            try await withThrowingTaskGroup(of: Int.self) { tasks in
                for n in 1...50 {
                    tasks.addTask { try await setup.group.write { db in try db.execute(sql: "INSERT INTO numbers VALUES (?)", arguments: [n]); return n } }
                }
                return try await tasks.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        try await setup.waitForWaiting(49)
        let before = setup.commits.commits
        release.signal()
        try await holder.value
        let answered = try await writes.value

        #expect(answered.sorted() == Array(1...50))
        #expect(try setup.stored() == Array(1...50))
        #expect(setup.commits.commits - before == 3, "the held write, the first group of one, then one group of 49")
    }

    @Test("a write that throws loses only its own changes; the others in its group are stored")
    func aFailingWriteLeavesTheOthers() async throws {
        let setup = try Setup()
        let release = DispatchSemaphore(value: 0)
        let holder = await setup.holdWriter(until: release)

        let writes = Task {
            await withTaskGroup(of: (Int, Bool).self) { tasks in
                for n in 1...10 {
                    tasks.addTask {
                        do {
                            _ = try await setup.group.write { db in
                                try db.execute(sql: "INSERT INTO numbers VALUES (?)", arguments: [n])
                                if n == 5 { throw Refused() }
                                return n
                            }
                            return (n, true)
                        } catch is Refused {
                            return (n, false)
                        } catch {
                            Issue.record(error)
                            return (n, false)
                        }
                    }
                }
                return await tasks.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
        }
        try await setup.waitForWaiting(9)
        release.signal()
        try await holder.value
        let answered = await writes.value

        #expect(answered.filter { !$0.value }.map(\.key) == [5])
        #expect(try setup.stored() == [1, 2, 3, 4, 6, 7, 8, 9, 10])
    }

    @Test("a commit that fails fails every write of its group, and none of them is stored")
    func aFailedCommitFailsTheGroup() async throws {
        let setup = try Setup()
        let release = DispatchSemaphore(value: 0)
        let holder = await setup.holdWriter(until: release)

        let writes = Task {
            await withTaskGroup(of: Bool.self) { tasks in
                for n in 1...10 {
                    tasks.addTask {
                        do {
                            _ = try await setup.group.write { db in try db.execute(sql: "INSERT INTO numbers VALUES (?)", arguments: [n]) }
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return await tasks.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        try await setup.waitForWaiting(9)
        setup.commits.refuseCommits()
        release.signal()
        _ = try? await holder.value
        let answered = await writes.value

        #expect(answered == Array(repeating: false, count: 10))
        #expect(try setup.stored() == [])
    }

    @Test("a group whose leader's request is cancelled (its client hung up) still commits every write in it")
    func aCancelledLeaderCommitsItsGroup() async throws {
        let setup = try Setup()
        let release = DispatchSemaphore(value: 0)
        let holder = await setup.holdWriter(until: release)
        func insert(_ n: Int) async throws -> Int {
            try await setup.group.write { db in try db.execute(sql: "INSERT INTO numbers VALUES (?)", arguments: [n]); return n }
        }

        // 1 leads and waits for the writer; 2 queues first, so it leads the next group, and 3...6 join it.
        let first = Task { try await insert(1) }
        while !setup.group.isWaitingForWriter { try await Task.sleep(for: .milliseconds(5)) }
        let leader = Task { try await insert(2) }
        try await setup.waitForWaiting(1)
        let followers = Task {
            try await withThrowingTaskGroup(of: Int.self) { tasks in
                for n in 3...6 { tasks.addTask { try await insert(n) } }
                return try await tasks.reduce(into: [Int]()) { $0.append($1) }.sorted()
            }
        }
        try await setup.waitForWaiting(5)
        leader.cancel()
        release.signal()
        try await holder.value

        #expect(try await first.value == 1)
        #expect(try await followers.value == [3, 4, 5, 6])
        #expect(try await leader.value == 2)
        #expect(try setup.stored() == [1, 2, 3, 4, 5, 6])
    }
}

@Suite("A long bulk write lets waiting opt-outs in")
struct YieldingBulkWriteTests {
    /// Holds the bulk write's first change to `table` (`links` for an issue, the temporary
    /// `import_rows` for an import) until `ready()` is true, so the short write below is surely
    /// waiting for the writer while the bulk write is under way.
    final class HoldFirstLink: TransactionObserver, @unchecked Sendable {
        let table: String
        let ready: @Sendable () -> Bool
        private var held = false
        init(table: String = "links", until ready: @escaping @Sendable () -> Bool) {
            self.table = table
            self.ready = ready
        }

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { eventKind.tableName == table }
        func databaseDidChange(with event: DatabaseEvent) {
            guard !held else { return }
            held = true
            while !ready() { usleep(1_000) }
        }
        func databaseDidCommit(_ db: Database) {}
        func databaseDidRollback(_ db: Database) {}
    }

    /// The commits in the order they happened: "issue" for one that changed `table` (the bulk
    /// write's own), else "short write".
    final class CommitOrder: TransactionObserver, @unchecked Sendable {
        let table: String
        private let lock = NSLock()
        private var links = false
        private var order: [String] = []
        var commits: [String] { lock.withLock { order } }
        init(table: String = "links") { self.table = table }

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) {
            if event.tableName == table { lock.withLock { links = true } }
        }
        func databaseDidCommit(_ db: Database) {
            lock.withLock {
                order.append(links ? "issue" : "short write")
                links = false
            }
        }
        func databaseDidRollback(_ db: Database) { lock.withLock { links = false } }
    }

    @Test("a short write (a grouped opt-out, or any other) that arrives during a 20,000-link issue is committed before the issue ends, and the issue is whole",
          arguments: ["opt-out", "wrong number"])
    func shortWriteGoesFirst(kind: String) async throws {
        let queue = try DatabaseQueue()
        let store = try SQLiteStore(writer: queue)
        let (company, campaign) = try await store.acmeWithCampaign()
        let phones = (0..<20_000).map { PhoneNumber(trustedE164: "+3161\(String(format: "%07d", $0))") }
        let group = store.group
        queue.add(transactionObserver: HoldFirstLink { group.isWaitingForWriter }, extent: .databaseLifetime)
        let order = CommitOrder()
        queue.add(transactionObserver: order, extent: .databaseLifetime)

        let issue = Task { try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: Sample.now) }
        // Submitted once the issue holds the writer (its first insert waits for this opt-out).
        let optOut = Task {
            if kind == "opt-out" {
                _ = try await store.recordOptOut(Sample.optOut(company, PhoneNumber(trustedE164: "+31699999999")))
            } else {
                _ = try await store.recordFailedAttempt(linkID: 1, at: Sample.now, countingSince: Sample.now)
            }
        }
        let links = try await issue.value
        try await optOut.value

        // The issue's first part, then the short write, then the rest of the issue.
        let commits = order.commits
        #expect(commits.first == "issue")
        #expect(commits.filter { $0 == "short write" }.count == 1)
        #expect(commits.last == "issue")
        #expect(links.map(\.phone) == phones)
        #expect(Set(links.map(\.code)).count == phones.count)
        let stored = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM links") }
        #expect(stored == phones.count)
        // Issuing again answers the same codes (idempotent across the parts it was committed in).
        #expect(try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: Sample.now) == links)
    }

    @Test("an opt-out that arrives during a 30,000-row import is committed before the import ends, and the import is whole")
    func optOutDuringImport() async throws {
        let queue = try DatabaseQueue()
        let store = try SQLiteStore(writer: queue)
        let company = try await store.acme()
        let rows = (0..<30_000).map {
            ImportRow(phone: PhoneNumber(trustedE164: "+3161\(String(format: "%07d", $0))"), optedOutAt: Sample.now, reason: nil)
        }
        let group = store.group
        queue.add(transactionObserver: HoldFirstLink(table: "import_rows") { group.isWaitingForWriter }, extent: .databaseLifetime)
        let order = CommitOrder(table: "import_rows")
        queue.add(transactionObserver: order, extent: .databaseLifetime)

        let imported = Task { try await store.importOptOuts(companyID: company.id, rows: rows, scope: .marketing, actor: nil) }
        // Submitted once the import holds the writer (its first row waits for this opt-out).
        let optOut = Task { try await store.recordOptOut(Sample.optOut(company, PhoneNumber(trustedE164: "+31699999999"))) }
        let counts = try await imported.value
        let outcome = try await optOut.value

        // The import's first chunk, then the opt-out, then the rest of the import.
        let commits = order.commits
        #expect(commits.first == "issue")
        #expect(commits.filter { $0 == "short write" }.count == 1)
        #expect(commits.last == "issue")
        #expect(outcome.recorded != nil)
        #expect(counts.added == rows.count)
        let stored = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM suppressions") }
        #expect(stored == rows.count + 1)
        // The feed numbers every event once, the opt-out among the import's, without a gap.
        let seqs = try await queue.read { db in try Int64.fetchAll(db, sql: "SELECT company_seq FROM consent_events ORDER BY company_seq") }
        #expect(seqs == Array(1...Int64(rows.count + 1)))
    }

    /// Counts the commits that inserted links, and holds the first such insert until released.
    final class LinkCommits: TransactionObserver, @unchecked Sendable {
        let holding = Atomic<Bool>(false)
        let release = Atomic<Bool>(false)
        private let lock = NSLock()
        private var changed = false
        private var count = 0
        var commits: Int { lock.withLock { count } }

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { eventKind.tableName == "links" }
        func databaseDidChange(with event: DatabaseEvent) {
            let first = lock.withLock { () -> Bool in
                defer { changed = true }
                return !changed && count == 0
            }
            guard first else { return }
            holding.store(true, ordering: .relaxed)
            while !release.load(ordering: .relaxed) { usleep(1_000) }
        }
        func databaseDidCommit(_ db: Database) {
            lock.withLock {
                if changed { count += 1 }
                changed = false
            }
        }
        func databaseDidRollback(_ db: Database) { lock.withLock { changed = false } }
    }

    @Test("a background write (the webhook dispatcher's claim) that waits during a 20,000-link issue does not split it")
    func backgroundWriteWaits() async throws {
        let queue = try DatabaseQueue()
        let store = try SQLiteStore(writer: queue)
        let (_, campaign) = try await store.acmeWithCampaign()
        let phones = (0..<20_000).map { PhoneNumber(trustedE164: "+3161\(String(format: "%07d", $0))") }
        let observer = LinkCommits()
        queue.add(transactionObserver: observer, extent: .databaseLifetime)

        let issue = Task { try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: Sample.now) }
        while !observer.holding.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(2)) }
        // The issue holds the writer; a claim asks for it, as the dispatcher does every 200 ms.
        let claim = Task { try await store.claimDueDeliveries(at: Sample.now, lease: 60, perEndpoint: 10, endpoints: 10) }
        var sawWaiting = false
        for _ in 0..<100 {
            sawWaiting = sawWaiting || store.group.isWaitingForWriter
            try await Task.sleep(for: .milliseconds(2))
        }
        observer.release.store(true, ordering: .relaxed)
        let links = try await issue.value
        _ = try await claim.value

        #expect(!sawWaiting)
        #expect(observer.commits == 1)
        #expect(links.count == phones.count)
    }
}
