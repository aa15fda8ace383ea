/// Latency statistics and the report lines of `fjord perf`, in kafka-producer-perf-test's wording.
struct PerfStats {
    private(set) var count = 0
    private(set) var bytes = 0
    private(set) var latencySumMs = 0.0
    private(set) var latencyMaxMs = 0.0
    /// Every latency in ms (Kafka samples; the counts here are small enough to keep them all).
    private(set) var latenciesMs: [Float] = []

    mutating func record(latencyMs: Double, bytes recordBytes: Int) {
        count += 1
        bytes += recordBytes
        latencySumMs += latencyMs
        latencyMaxMs = max(latencyMaxMs, latencyMs)
        latenciesMs.append(Float(latencyMs))
    }

    var averageLatencyMs: Double { count == 0 ? 0 : latencySumMs / Double(count) }

    /// Percentiles (0…1) of the recorded latencies, as whole milliseconds (Kafka prints them as integers).
    func percentiles(_ ps: [Double]) -> [Int] {
        guard !latenciesMs.isEmpty else { return ps.map { _ in 0 } }
        let sorted = latenciesMs.sorted()
        return ps.map { p in Int(sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]) }
    }

    /// kafka-producer-perf-test's final line.
    func finalLine(elapsedSeconds: Double) -> String {
        let rate = elapsedSeconds > 0 ? Double(count) / elapsedSeconds : 0
        let mb = elapsedSeconds > 0 ? Double(bytes) / 1024 / 1024 / elapsedSeconds : 0
        let p = percentiles([0.5, 0.95, 0.99, 0.999])
        return "\(count) records sent, \(Fixed.format(rate, 6)) records/sec (\(Fixed.format(mb, 2)) MB/sec), "
            + "\(Fixed.format(averageLatencyMs, 2)) ms avg latency, \(Fixed.format(latencyMaxMs, 2)) ms max latency, "
            + "\(p[0]) ms 50th, \(p[1]) ms 95th, \(p[2]) ms 99th, \(p[3]) ms 99.9th."
    }

    /// The progress line for one reporting window.
    static func windowLine(count: Int, bytes: Int, latencySumMs: Double, latencyMaxMs: Double, elapsedSeconds: Double)
        -> String
    {
        let rate = elapsedSeconds > 0 ? Double(count) / elapsedSeconds : 0
        let mb = elapsedSeconds > 0 ? Double(bytes) / 1024 / 1024 / elapsedSeconds : 0
        let avg = count > 0 ? latencySumMs / Double(count) : 0
        return "\(count) records sent, \(Fixed.format(rate, 1)) records/sec (\(Fixed.format(mb, 2)) MB/sec), "
            + "\(Fixed.format(avg, 1)) ms avg latency, \(Fixed.format(latencyMaxMs, 1)) ms max latency."
    }
}

/// Fixed-point number formatting (no Foundation).
enum Fixed {
    static func format(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var result = (negative && scaled > 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let fraction = Int(scaled - Double(whole) * scale)
            let digits = String(fraction)
            result += "." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
        }
        return result
    }
}
