import Logging
import ServiceLifecycle
import StoplinkCore
import StoplinkStore

/// The daily purge inside `serve`: a minute after start, then every 24 hours, it removes what
/// each company's retention periods say is too old (`RetentionStore.purgeExpired`). A graceful
/// shutdown stops it between batches; what it did so far stays done.
public struct RetentionPurger: Service {
    public static let batchSize = 5_000

    let store: any Store
    let clock: any WallClock
    let logger: Logger
    let firstRun: Duration
    let interval: Duration

    public init(
        store: any Store, clock: any WallClock, logger: Logger,
        firstRun: Duration = .seconds(60), interval: Duration = .seconds(24 * 60 * 60)
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.firstRun = firstRun
        self.interval = interval
    }

    public func run() async throws {
        var wait = firstRun
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let pause = wait
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
            _ = await cancelWhenGracefulShutdown { await runOnce() }
            wait = interval
        }
    }

    /// One purge as of the clock's now; nil when it failed (and was logged).
    @discardableResult
    public func runOnce() async -> PurgeCounts? {
        do {
            let counts = try await store.purgeExpired(at: clock.now(), batchSize: Self.batchSize)
            logger.info("purged expired details", metadata: [
                "visits": "\(counts.visits)", "reason_texts": "\(counts.reasonTexts)", "inbound_texts": "\(counts.inboundTexts)",
            ])
            return counts
        } catch is CancellationError {
            return nil
        } catch {
            logger.error("could not purge expired details", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
