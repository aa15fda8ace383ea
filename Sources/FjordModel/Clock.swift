#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Milliseconds since the Unix epoch, the unit of every Kafka timestamp.
public struct TimestampMs: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int64) { self.rawValue = value }
    /// `-1` on the wire: no timestamp.
    public static let none = TimestampMs(-1)
    @inlinable public static func < (lhs: TimestampMs, rhs: TimestampMs) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }

    /// The wall clock now. Only I/O shells call this; pure state machines take time as an input.
    public static func now() -> TimestampMs {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return TimestampMs(Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }
}

/// A monotonic clock reading in nanoseconds, for timeouts and latency (never goes backwards).
public enum MonotonicClock {
    public static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public static func nowMs() -> Int64 { Int64(nowNs() / 1_000_000) }
}
