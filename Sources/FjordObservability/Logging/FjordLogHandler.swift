import Logging

/// The swift-log handler of Fjord's processes: one line per event, logfmt or JSON, to a ``LogSink``.
///
/// A line holds, in this order: `ts` (UTC, milliseconds), `level`, `logger` (the logger's label), `msg`, then the
/// metadata sorted by key — the handler's metadata, then the metadata provider's, then the event's, later sources
/// winning — and `error` when the event carries one. Metadata keys that collide with the four fixed keys are written
/// with a leading `_`. Never pass record payloads as metadata.
///
/// Value type: copies share the sink; the level and metadata are per copy, as swift-log expects.
public struct FjordLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    public let label: String
    public let format: LogFormat
    public let sink: LogSink
    /// Milliseconds since the epoch; replaceable so tests get fixed timestamps.
    let clockMs: @Sendable () -> Int64

    public init(
        label: String, level: Logger.Level, format: LogFormat = .logfmt, sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.init(
            label: label, level: level, format: format, sink: sink, metadataProvider: metadataProvider,
            clockMs: LogTimestamp.nowMs)
    }

    init(
        label: String, level: Logger.Level, format: LogFormat, sink: LogSink,
        metadataProvider: Logger.MetadataProvider?, clockMs: @escaping @Sendable () -> Int64
    ) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
        self.metadataProvider = metadataProvider
        self.clockMs = clockMs
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        sink.write(line: render(event))
    }

    /// The line for `event`, newline included.
    func render(_ event: LogEvent) -> [UInt8] {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let extra = event.metadata, !extra.isEmpty {
            merged.merge(extra) { _, new in new }
        }
        if let error = event.error { merged["error"] = .string("\(error)") }
        let keys = merged.keys.sorted()
        var out: [UInt8] = []
        out.reserveCapacity(128)
        switch format {
        case .logfmt:
            out.append(contentsOf: "ts=".utf8)
            LogTimestamp.append(epochMs: clockMs(), to: &out)
            out.append(contentsOf: " level=".utf8)
            out.append(contentsOf: event.level.rawValue.utf8)
            out.append(contentsOf: " logger=".utf8)
            LogfmtEncoding.appendValue(label, to: &out)
            out.append(contentsOf: " msg=".utf8)
            LogfmtEncoding.appendValue(event.message.description, to: &out)
            for key in keys {
                out.append(UInt8(ascii: " "))
                LogfmtEncoding.appendKey(Self.reservedKeys.contains(key) ? "_" + key : key, to: &out)
                out.append(UInt8(ascii: "="))
                LogfmtEncoding.appendValue(LogfmtEncoding.text(merged[key]!), to: &out)
            }
        case .json:
            out.append(contentsOf: #"{"ts":""#.utf8)
            LogTimestamp.append(epochMs: clockMs(), to: &out)
            out.append(contentsOf: #"","level":""#.utf8)
            out.append(contentsOf: event.level.rawValue.utf8)
            out.append(contentsOf: #"","logger":"#.utf8)
            JSONLogEncoding.appendString(label, to: &out)
            out.append(contentsOf: #","msg":"#.utf8)
            JSONLogEncoding.appendString(event.message.description, to: &out)
            for key in keys {
                out.append(UInt8(ascii: ","))
                JSONLogEncoding.appendString(Self.reservedKeys.contains(key) ? "_" + key : key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONLogEncoding.appendValue(merged[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    static let reservedKeys: Set<String> = ["ts", "level", "logger", "msg"]
}
