/// A condition did not become true in time.
public struct WaitTimeoutError: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}

/// Polls `condition` every `pollInterval` until it returns true; throws ``WaitTimeoutError`` after `timeout`.
///
/// Tests use this instead of sleeping: it returns as soon as the condition holds, and states what it waited for
/// when it fails. The condition is checked once more at the deadline, so a slow machine never fails a condition
/// that just became true.
public func waitUntil(
    _ what: String = "condition", timeout: Duration, pollInterval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        if clock.now >= deadline { throw WaitTimeoutError(what: what, timeout: timeout) }
        try await Task.sleep(for: min(pollInterval, deadline - clock.now), clock: clock)
    }
}

/// Measures how long `body` takes on the monotonic clock.
public func measure<Result>(_ body: () async throws -> Result) async rethrows -> (result: Result, elapsed: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await body()
    return (result, clock.now - start)
}
