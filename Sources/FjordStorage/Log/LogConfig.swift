/// The per-partition log settings, named after Kafka's topic configs (`log.*` broker defaults). Units are in the
/// names. Defaults are Kafka 3.9's.
public struct LogConfig: Hashable, Sendable {
    /// `segment.bytes`: roll to a new segment before an append would make the active one larger than this.
    public var segmentBytes: Int = 1 << 30
    /// `segment.ms`: roll when the active segment's first batch is older than this (by its max timestamp, or the
    /// segment's creation time when it has none).
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `segment.index.bytes`: roll when an index of the active segment would grow past this many bytes.
    public var segmentIndexBytes: Int = 10 << 20
    /// `index.interval.bytes`: bytes of log between two offset index entries.
    public var indexIntervalBytes: Int = 4096
    /// `retention.ms`: delete segments whose newest batch is older than this; `-1` keeps them forever.
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.bytes`: delete the oldest segments while the log is larger than this; `-1` means no limit.
    public var retentionBytes: Int64 = -1
    /// `flush.messages`: records appended between two flushes; `Int64.max` (the default) never forces one.
    public var flushMessages: Int64 = .max
    /// `flush.ms`: longest time between two flushes; `Int64.max` (the default) never forces one.
    public var flushMs: Int64 = .max
    /// `flush.messages=1` (Kafka: flush after every append) means, in Fjord, *every append is on disk before it is
    /// acknowledged*, batched by group commit (``PartitionLog/whenDurable(upTo:flusher:_:)``): producers' acks wait
    /// for an `fdatasync` that covers them, and appends arriving while one runs share the next. The periodic
    /// `flush.messages` flush is then not needed (full flushes still follow `flush.ms` and segment rolls).
    public var syncsBeforeAcknowledge: Bool { flushMessages == 1 }
    /// `max.message.bytes`: the largest batch a producer may append (Kafka's default, 1 MiB + 12 bytes).
    public var maxMessageBytes: Int = 1_048_588
    /// `message.timestamp.type`.
    public var timestampType: TimestampType = .createTime

    public enum TimestampType: String, Hashable, Sendable {
        /// Keep the producer's timestamps (`CreateTime`).
        case createTime = "CreateTime"
        /// Stamp each batch with the broker's clock at append (`LogAppendTime`).
        case logAppendTime = "LogAppendTime"
    }

    public init() {}

    /// Checks ranges Kafka enforces; returns why a value is out of range, or `nil`.
    public var validationError: String? {
        if segmentBytes < 14 || segmentBytes > Int(Int32.max) {
            return "segment.bytes \(segmentBytes) not in 14...2^31-1"
        }
        if segmentMs < 1 { return "segment.ms \(segmentMs) below 1" }
        if segmentIndexBytes < OffsetIndexEntry.sizeBytes * 4 {
            return "segment.index.bytes \(segmentIndexBytes) too small"
        }
        if indexIntervalBytes < 0 { return "index.interval.bytes \(indexIntervalBytes) below 0" }
        if retentionMs < -1 { return "retention.ms \(retentionMs) below -1" }
        if maxMessageBytes < 0 { return "max.message.bytes \(maxMessageBytes) below 0" }
        if flushMessages < 1 || flushMs < 0 { return "flush.messages/flush.ms out of range" }
        return nil
    }

    var maxOffsetIndexEntries: Int { segmentIndexBytes / OffsetIndexEntry.sizeBytes }
    var maxTimeIndexEntries: Int { segmentIndexBytes / TimeIndexEntry.sizeBytes }
}
