import Synchronization

/// What `withDeadline` throws when the work it bounds has not finished in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let seconds: Double
    public var description: String { "not finished after \(seconds) s" }
}

/// Runs `operation` and answers its result, or throws `DeadlineExceeded` once `seconds` have
/// passed without one. A hung operation is cancelled and left behind, never awaited, so a hang
/// shows as a failure of the test that met it. Bound only the step under test with it: set-up
/// that waits its turn on a busy machine is not a hang.
public func withDeadline<Value: Sendable>(
    seconds: Double, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let answered = Mutex(false)
    let claim: @Sendable () -> Bool = {
        answered.withLock { done in
            defer { done = true }
            return !done
        }
    }
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
        let work = Task {
            let result: Result<Value, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            if claim() { continuation.resume(with: result) }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            if claim() {
                work.cancel()
                continuation.resume(throwing: DeadlineExceeded(seconds: seconds))
            }
        }
    }
}
