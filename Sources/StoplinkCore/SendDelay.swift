import Foundation

/// How long after a send people opt out, in the buckets a campaign's page shows: the bounds
/// between them (seconds, rising; a delay equal to a bound falls in the later bucket) and one
/// label per bucket (one more than bounds). `StatsStore.optOutDelays` counts them.
public enum SendDelay {
    public static let bounds: [TimeInterval] = [3_600, 6 * 3_600, 24 * 3_600, 7 * 24 * 3_600]
    public static let labels = ["Under 1 hour", "1–6 hours", "6–24 hours", "1–7 days", "Over 7 days"]
}
