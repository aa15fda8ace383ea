#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock timestamps for log lines: RFC 3339 in UTC with milliseconds, `2026-11-22T01:02:03.456Z`.
///
/// Written straight into the line's byte buffer (no `DateFormatter`, no intermediate strings): formatting costs a
/// `clock_gettime` and a `gmtime_r`.
public enum LogTimestamp {
    /// Milliseconds since the Unix epoch, now.
    public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Appends `epochMs` as `YYYY-MM-DDThh:mm:ss.mmmZ` (always 24 bytes for years 0000–9999).
    public static func append(epochMs: Int64, to out: inout [UInt8]) {
        let floorSeconds = epochMs >= 0 ? epochMs / 1000 : (epochMs - 999) / 1000
        let millis = Int(epochMs - floorSeconds * 1000)
        var seconds = time_t(floorSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        appendDigits(Int(parts.tm_year) + 1900, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mon) + 1, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mday), width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(Int(parts.tm_hour), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_min), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_sec), width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(millis, width: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// The timestamp as a string (tests, JSON).
    public static func string(epochMs: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(epochMs: epochMs, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends a non-negative `value` zero-padded to `width` digits (more digits if it needs them).
    static func appendDigits(_ value: Int, width: Int, to out: inout [UInt8]) {
        precondition(value >= 0, "appendDigits takes non-negative values, got \(value)")
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0 && count < buffer.count
        }
        for _ in count..<max(count, width) { out.append(UInt8(ascii: "0")) }
        withUnsafeBytes(of: &digits) { buffer in
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }
}
