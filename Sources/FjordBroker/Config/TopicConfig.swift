import FjordCluster
import FjordStorage

/// Topic-level configuration: the keys a topic may override in `/config/topics/<t>`, how they are checked, and how
/// overrides and the broker's defaults resolve into a partition's ``LogConfig``.
///
/// Each topic key has a broker-level synonym whose value is the default (`retention.ms` ← `log.retention.ms`,
/// `max.message.bytes` ← `message.max.bytes`, …), as in Kafka. Overrides read from ZooKeeper that fail to parse
/// are ignored (the default applies); overrides arriving in requests are rejected with INVALID_CONFIG.
public enum TopicConfig {
    /// One topic-level key.
    public struct Key: Sendable {
        public var name: String
        public var kind: ConfigDefinition.Kind
        /// The broker key supplying the default, in Kafka's synonym order (most specific first).
        public var brokerSynonyms: [String]
        public var documentation: String
        /// Why `value` is not acceptable, or nil.
        var check: @Sendable (String) -> String?
    }

    /// The keys Fjord accepts, in Kafka's (alphabetical) DescribeConfigs order.
    public static let keys: [Key] = [
        Key(
            name: "cleanup.policy", kind: .list, brokerSynonyms: ["log.cleanup.policy"],
            documentation: "delete: drop old segments; compact: keep the last record per key.",
            check: { value in
                let items = value.split(separator: ",").map { $0.trimmingWhitespace() }
                return items.allSatisfy({ $0 == "delete" || $0 == "compact" }) && !items.isEmpty
                    ? nil : "must be a list of delete and compact"
            }),
        Key(
            name: "compression.type", kind: .string, brokerSynonyms: ["compression.type"],
            documentation: "Accepted; batches are stored as the producer compressed them.",
            check: { value in
                ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"].contains(value)
                    ? nil : "must be one of producer, uncompressed, gzip, snappy, lz4, zstd"
            }),
        Key(
            name: "flush.messages", kind: .long, brokerSynonyms: ["log.flush.interval.messages"],
            documentation: "Records between forced flushes.", check: range(1...Int64.max)),
        Key(
            name: "flush.ms", kind: .long, brokerSynonyms: ["log.flush.interval.ms"],
            documentation: "Longest time between flushes.", check: range(0...Int64.max)),
        Key(
            name: "index.interval.bytes", kind: .int, brokerSynonyms: ["log.index.interval.bytes"],
            documentation: "Bytes between offset index entries.", check: range(0...Int64(Int32.max))),
        Key(
            name: "max.message.bytes", kind: .int, brokerSynonyms: ["message.max.bytes"],
            documentation: "Largest record batch accepted.", check: range(0...Int64(Int32.max))),
        Key(
            name: "message.timestamp.type", kind: .string, brokerSynonyms: ["log.message.timestamp.type"],
            documentation: "CreateTime or LogAppendTime.",
            check: { LogConfig.TimestampType(rawValue: $0) == nil ? "must be CreateTime or LogAppendTime" : nil }),
        Key(
            name: "min.insync.replicas", kind: .int, brokerSynonyms: ["min.insync.replicas"],
            documentation: "Fewest in-sync replicas for acks=all.", check: range(1...Int64(Int32.max))),
        Key(
            name: "retention.bytes", kind: .long, brokerSynonyms: ["log.retention.bytes"],
            documentation: "Largest log size before old segments go; -1: no limit.", check: range(-1...Int64.max)),
        Key(
            name: "retention.ms", kind: .long,
            brokerSynonyms: ["log.retention.ms", "log.retention.minutes", "log.retention.hours"],
            documentation: "How long segments are kept; -1: forever.", check: range(-1...Int64.max)),
        Key(
            name: "segment.bytes", kind: .int, brokerSynonyms: ["log.segment.bytes"],
            documentation: "Largest segment file.", check: range(14...Int64(Int32.max))),
        Key(
            name: "segment.index.bytes", kind: .int, brokerSynonyms: ["log.index.size.max.bytes"],
            documentation: "Largest offset index file.", check: range(32...Int64(Int32.max))),
        Key(
            name: "segment.ms", kind: .long, brokerSynonyms: ["log.roll.ms", "log.roll.hours"],
            documentation: "Longest age of the active segment.", check: range(1...Int64.max)),
        Key(
            name: "unclean.leader.election.enable", kind: .bool, brokerSynonyms: ["unclean.leader.election.enable"],
            documentation: "Whether an out-of-sync replica may become leader.",
            check: { ["true", "false"].contains($0.lowercased()) ? nil : "must be true or false" }),
    ]

    static let keysByName: [String: Key] = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })

    static func range(_ range: ClosedRange<Int64>) -> @Sendable (String) -> String? {
        { value in
            guard let n = Int64(value.trimmingWhitespace()) else { return "must be an integer" }
            return range.contains(n) ? nil : "must be in \(range.lowerBound)...\(range.upperBound)"
        }
    }

    /// Checks overrides as a request would set them.
    ///
    /// - Returns: nil when every key is known and every value valid, else Kafka-style text for INVALID_CONFIG.
    public static func validationError(_ overrides: [String: String], defaults: BrokerConfig) -> String? {
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let key = keysByName[name] else { return "Unknown topic config name: \(name)" }
            if let problem = key.check(value.trimmingWhitespace()) {
                return "Invalid value \(value) for configuration \(name): \(problem)"
            }
        }
        let resolved = logConfig(overrides: overrides, defaults: defaults)
        if let problem = resolved.validationError { return "Invalid topic configuration: \(problem)" }
        return nil
    }

    /// The effective log settings of a topic: broker defaults, then the overrides that parse.
    public static func logConfig(overrides: [String: String], defaults: BrokerConfig) -> LogConfig {
        var config = defaults.defaultLogConfig
        func int64(_ key: String) -> Int64? {
            guard let text = overrides[key], keysByName[key]?.check(text.trimmingWhitespace()) == nil else {
                return nil
            }
            return Int64(text.trimmingWhitespace())
        }
        if let v = int64("segment.bytes") { config.segmentBytes = Int(v) }
        if let v = int64("segment.ms") { config.segmentMs = v }
        if let v = int64("segment.index.bytes") { config.segmentIndexBytes = Int(v) }
        if let v = int64("index.interval.bytes") { config.indexIntervalBytes = Int(v) }
        if let v = int64("retention.ms") { config.retentionMs = v }
        if let v = int64("retention.bytes") { config.retentionBytes = v }
        if let v = int64("flush.messages") { config.flushMessages = v }
        if let v = int64("flush.ms") { config.flushMs = v }
        if let v = int64("max.message.bytes") { config.maxMessageBytes = Int(v) }
        if let text = overrides["message.timestamp.type"], let type = LogConfig.TimestampType(rawValue: text) {
            config.timestampType = type
        }
        return config
    }

    /// The topic's `min.insync.replicas`.
    public static func minInsyncReplicas(overrides: [String: String], defaults: BrokerConfig) -> Int {
        guard let text = overrides["min.insync.replicas"], let n = Int(text.trimmingWhitespace()), n >= 1 else {
            return defaults.minInsyncReplicas
        }
        return n
    }

    /// The value a topic without an override gets for `key`, as text (DescribeConfigs).
    public static func defaultValue(of key: String, defaults: BrokerConfig) -> String? {
        let log = defaults.defaultLogConfig
        switch key {
        case "cleanup.policy": return defaults.defaultCleanupPolicy.joined(separator: ",")
        case "compression.type": return defaults.resolved.string("compression.type") ?? "producer"
        case "flush.messages": return String(log.flushMessages)
        case "flush.ms": return String(log.flushMs)
        case "index.interval.bytes": return String(log.indexIntervalBytes)
        case "max.message.bytes": return String(log.maxMessageBytes)
        case "message.timestamp.type": return log.timestampType.rawValue
        case "min.insync.replicas": return String(defaults.minInsyncReplicas)
        case "retention.bytes": return String(log.retentionBytes)
        case "retention.ms": return String(log.retentionMs)
        case "segment.bytes": return String(log.segmentBytes)
        case "segment.index.bytes": return String(log.segmentIndexBytes)
        case "segment.ms": return String(log.segmentMs)
        case "unclean.leader.election.enable": return String(defaults.uncleanLeaderElectionEnable)
        default: return nil
        }
    }
}
