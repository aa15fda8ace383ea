/// Kafka's reconnect backoff: `base · 2^(failures-1)`, capped at `max`, with ±20% jitter so that many clients do
/// not reconnect in lockstep. Pure: the caller supplies the random fraction.
struct ReconnectBackoff: Sendable, Hashable {
    var baseNs: Int64
    var maxNs: Int64

    init(base: Duration, max: Duration) {
        self.baseNs = Swift.max(1, base.nanosecondsClamped)
        self.maxNs = Swift.max(self.baseNs, max.nanosecondsClamped)
    }

    /// The wait after `failures` consecutive failures (1 for the first). `jitter` is in -1...1.
    func delayNs(failures: Int, jitter: Double) -> Int64 {
        guard failures > 0 else { return 0 }
        let exponent = min(failures - 1, 30)
        let raw = min(Double(maxNs), Double(baseNs) * Double(1 << exponent))
        let jittered = raw * (1 + 0.2 * max(-1, min(1, jitter)))
        return Int64(min(Double(maxNs), max(0, jittered)))
    }
}
