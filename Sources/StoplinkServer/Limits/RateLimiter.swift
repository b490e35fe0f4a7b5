import Foundation
import StoplinkCore
import Synchronization

/// Keeps each client's allowance under each `RateLimit`. In memory for one process now; a store
/// shared by several processes (a database table) can take its place behind this protocol.
public protocol RateLimiter: Sendable {
    /// Takes one request from `key`'s allowance under `limit` (or, with `consume` false, only
    /// asks whether one would be allowed).
    func take(_ limit: RateLimit, key: String, at now: Date, consume: Bool) async -> TokenBucket.Decision
}

extension RateLimiter {
    func take(_ limit: RateLimit, key: String, at now: Date) async -> TokenBucket.Decision {
        await take(limit, key: key, at: now, consume: true)
    }
}

/// Token buckets in memory, at most `capacity` of them. Buckets that have refilled are dropped
/// first (forgetting them changes no answer); when a flood of distinct clients fills the table
/// with live buckets, the least recently used half goes, so memory stays bounded whatever the
/// traffic: those clients start again with a full allowance, which is the price of the bound.
public final class MemoryRateLimiter: RateLimiter {
    public static let defaultCapacity = 100_000

    private struct Entry {
        var limit: RateLimit
        var bucket: TokenBucket
    }

    private struct Key: Hashable {
        var limit: String
        var client: String
    }

    private let capacity: Int
    private let buckets = Mutex<[Key: Entry]>([:])

    public init(capacity: Int = MemoryRateLimiter.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    public func take(_ limit: RateLimit, key: String, at now: Date, consume: Bool) async -> TokenBucket.Decision {
        let capacity = capacity
        return buckets.withLock { buckets in
            let id = Key(limit: limit.name, client: key)
            if var entry = buckets[id] {
                let decision = entry.bucket.take(limit, at: now, consume: consume)
                buckets[id] = entry
                return decision
            }
            var bucket = TokenBucket(limit: limit, at: now)
            let decision = bucket.take(limit, at: now, consume: consume)
            // Asking about a client never seen leaves nothing to remember.
            guard consume else { return decision }
            if buckets.count >= capacity { Self.evict(&buckets, capacity: capacity, at: now) }
            buckets[id] = Entry(limit: limit, bucket: bucket)
            return decision
        }
    }

    /// How many buckets are held (for tests of the bound).
    public var count: Int { buckets.withLock { $0.count } }

    private static func evict(_ buckets: inout [Key: Entry], capacity: Int, at now: Date) {
        buckets = buckets.filter { !$0.value.bucket.isIdle($0.value.limit, at: now) }
        guard buckets.count >= capacity / 2 else { return }
        // Still crowded by live buckets: keep the most recently used half.
        let kept = buckets.sorted { $0.value.bucket.updated > $1.value.bucket.updated }.prefix(capacity / 2)
        buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }
}
