import Foundation
import Logging
import ServiceLifecycle
import StoplinkStore
import Synchronization

/// Counts page views without making the page wait: a view is queued in memory and written in
/// batches by this service. Views are statistics, not consent; a crash may lose the last second.
public final class VisitRecorder: Service, Sendable {
    static let maximumQueued = 100_000

    private let store: any VisitStore
    private let interval: Duration
    private let logger: Logger
    private let queue = Mutex<[Visit]>([])
    private let dropped = Atomic<Int>(0)

    public init(store: any VisitStore, interval: Duration = .seconds(1), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// Queues a view; never waits and never fails. Past the bound, views are dropped and counted.
    public func record(_ visit: Visit) {
        let accepted = queue.withLock { queue in
            guard queue.count < Self.maximumQueued else { return false }
            queue.append(visit)
            return true
        }
        if !accepted { dropped.add(1, ordering: .relaxed) }
    }

    /// Writes everything queued so far.
    public func flush() async {
        let batch = queue.withLock { queue in
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            return batch
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.recordVisits(batch)
        } catch {
            logger.error("could not record page views", metadata: ["count": "\(batch.count)", "error": "\(error)"])
        }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            await flush()
        }
        await flush()
        let lost = dropped.load(ordering: .relaxed)
        if lost > 0 { logger.warning("page views dropped because the queue was full", metadata: ["count": "\(lost)"]) }
    }
}
