import ServiceLifecycle

/// A background service's loop: `round` again at once while it finds work (answers more than
/// zero), after `interval` when it finds none, until the service group shuts down. A nil
/// interval runs no rounds (tests call them by hand) and waits for the shutdown.
func pollUntilShutdown(every interval: Duration?, _ round: () async -> Int) async {
    guard let interval else {
        try? await gracefulShutdown()
        return
    }
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        if await round() == 0 {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
