import Foundation
import Logging
import Synchronization

/// A swift-log handler writing one logfmt line per event to standard error:
///
///     time=2025-01-01T12:00:00.123Z level=info logger=fjord.broker msg="registered in ZooKeeper" broker=1 epoch=4294
///
/// Keys are `time` (UTC, milliseconds), `level`, `logger` (the label), `msg`, then metadata in key order (handler
/// metadata, then the event's). Values with spaces, quotes, `=` or control characters are quoted and escaped. Never
/// pass record payloads as metadata. Lines are written whole under a lock, so concurrent events never interleave.
public struct LogfmtLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let label: String
    private let output: LogfmtOutput

    public init(label: String, level: Logger.Level, output: LogfmtOutput = .standardError) {
        self.label = label
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "time=\(Self.timestamp()) level=\(event.level.rawValue) logger=\(Self.quoted(label))"
        line += " msg=\(Self.quoted(event.message.description))"
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        for key in merged.keys.sorted() {
            line += " \(Self.key(key))=\(Self.quoted(Self.text(merged[key]!)))"
        }
        line += "\n"
        output.write(line)
    }

    /// Formats the wall clock as RFC 3339 UTC with milliseconds.
    static func timestamp(_ date: Date = Date()) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let items): "[" + items.map(text).joined(separator: ",") + "]"
        case .dictionary(let d): "{" + d.keys.sorted().map { "\($0):\(text(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// Keys keep only characters logfmt parsers accept unquoted.
    static func key(_ key: String) -> String {
        let cleaned = key.map { ch -> Character in
            ch.isLetter || ch.isNumber || ch == "_" || ch == "." || ch == "-" ? ch : "_"
        }
        return cleaned.isEmpty ? "_" : String(cleaned)
    }

    /// The value as is when it needs no quoting, else in double quotes with `"`, `\` and control characters escaped.
    static func quoted(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.value < 0x20 }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Where ``LogfmtLogHandler`` writes: standard error, or a collector for tests.
public final class LogfmtOutput: Sendable {
    private let sink: Mutex<Sink>

    private enum Sink {
        case standardError
        case memory([String])
    }

    private init(_ sink: Sink) { self.sink = Mutex(sink) }

    public static let standardError = LogfmtOutput(.standardError)
    /// An output collecting lines in memory (tests).
    public static func memory() -> LogfmtOutput { LogfmtOutput(.memory([])) }

    /// The lines collected by a memory output.
    public var lines: [String] {
        sink.withLock {
            if case .memory(let lines) = $0 { return lines }
            return []
        }
    }

    func write(_ line: String) {
        sink.withLock { sink in
            switch sink {
            case .standardError:
                var bytes = Array(line.utf8)
                var offset = 0
                while offset < bytes.count {
                    let written = bytes.withUnsafeMutableBytes {
                        Glibc.write(2, $0.baseAddress! + offset, $0.count - offset)
                    }
                    if written <= 0 { break }
                    offset += written
                }
            case .memory(var lines):
                lines.append(line)
                sink = .memory(lines)
            }
        }
    }
}
