import ArgumentParser
import FjordClient
import FjordModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `fjord consume`: prints records, like `kafka-console-consumer.sh` (or kcat `-C`).
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print records of a topic (kafka-console-consumer.sh).",
        discussion: """
            With --group the consumer joins the group and commits offsets; without it, it reads the partitions \
            directly from --offset (earliest, latest, N, or -N for N before the end), --timestamp, \
            --from-beginning, or the end. Ends with "Processed a total of N messages" on stderr.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.long, .customShort("t")], help: "The topic to consume.")
    var topic: String

    @Option(name: [.long, .customShort("g")], help: "Consumer group to join (offsets are committed).")
    var group: String?

    @Flag(name: .customLong("from-beginning"), help: "Start at the earliest offset when there is no committed one.")
    var fromBeginning = false

    @Option(
        parsing: .unconditional,
        help: "Start offset (needs --partition with a number): earliest, latest, N, or -N (N before the end).")
    var offset: String?

    @Option(name: [.long, .customShort("p")], help: "Consume only this partition.")
    var partition: Int32?

    @Option(help: "Start at the first record with a timestamp at or after this time (ms since the epoch).")
    var timestamp: Int64?

    @Option(name: [.customLong("max-messages"), .customShort("c")], help: "Exit after this many records.")
    var maxMessages: Int?

    @Option(name: .customLong("timeout-ms"), help: "Exit when no record arrives for this long.")
    var timeoutMs: Int?

    @Flag(name: [.customLong("exit-at-end"), .customShort("e")], help: "Exit at the end of the partitions (kcat -e).")
    var exitAtEnd = false

    @Option(
        help:
            "Formatter property: print.key=true, print.timestamp, print.partition, print.offset, print.headers, key.separator, …"
    )
    var property: [String] = []

    @Option(name: [.customLong("format"), .customShort("f")], help: "kcat-style format, e.g. '%t %p %o %k %s\\n'.")
    var format: String?

    @Flag(name: [.customLong("json"), .customShort("J")], help: "One JSON object per record (kcat -J fields).")
    var json = false

    @Option(name: .customLong("consumer-property"), help: "A consumer property key=value; repeatable.")
    var consumerProperty: [String] = []

    @Option(name: .customLong("isolation-level"), help: "read_uncommitted (default) or read_committed.")
    var isolationLevel: String?

    func validate() throws {
        if offset != nil && partition == nil, let offset, Int64(offset) != nil {
            throw ValidationError("The partition is required when offset is specified.")
        }
        if group != nil && (offset != nil || partition != nil || timestamp != nil) {
            throw ValidationError("--group cannot be combined with --offset, --partition or --timestamp.")
        }
        if fromBeginning && (offset != nil || timestamp != nil) {
            throw ValidationError("--from-beginning cannot be combined with --offset or --timestamp.")
        }
        if format != nil && json { throw ValidationError("Use either --format or --json.") }
    }

    func run() async throws {
        var count = 0
        defer { printError("Processed a total of \(count) messages") }
        try await CommandErrors.reporting {
            let style = try formatStyle()
            var configuration = ConsumerConfiguration(
                bootstrapServers: try connection.bootstrapServers(), groupId: group)
            configuration.clientId = "fjord-console-consumer"
            configuration.autoOffsetReset = fromBeginning ? .earliest : .latest
            if let isolationLevel { try configuration.apply("isolation.level", isolationLevel) }
            let extra = try connection.propertyMap().merging(
                PropertyParsing.parse(consumerProperty), uniquingKeysWith: { $1 })
            for (key, value) in extra { try configuration.apply(key, value) }
            let consumer = try Consumer(configuration: configuration, logger: connection.logger("fjord.consume"))
            let ends = try await start(consumer)
            let watchdog = Watchdog(timeoutMs: timeoutMs)
            let watch = Task { await watchdog.run(consumer: consumer, ends: ends, exitAtEnd: exitAtEnd) }
            let output = SharedOutput()
            let flusher = Task { await output.runPeriodicFlush() }
            defer { flusher.cancel() }
            do {
                if maxMessages != 0 {
                    for try await record in consumer.records {
                        output.append(RecordFormatter.format(record, style: style))
                        count += 1
                        watchdog.recordSeen()
                        if let maxMessages, count >= maxMessages { break }
                    }
                }
            } catch {
                output.flush()
                watch.cancel()
                await consumer.close()
                throw error
            }
            output.flush()
            watch.cancel()
            await consumer.close()
        }
    }

    private func formatStyle() throws -> RecordFormatter.Style {
        if json { return .json }
        if let format { return .format(format) }
        return .console(RecordFormatter.ConsoleOptions(properties: try PropertyParsing.parse(property)))
    }

    /// Subscribes or assigns and positions; returns the end offsets to stop at for --exit-at-end (assign mode).
    private func start(_ consumer: Consumer) async throws -> [TopicPartition: Offset]? {
        if group != nil {
            try await consumer.subscribe(topics: [topic])
            return nil
        }
        let partitions: [TopicPartition]
        if let partition {
            partitions = [TopicPartition(topic: topic, partition: partition)]
        } else {
            partitions = try await consumer.partitions(of: topic).map { TopicPartition(TopicName(topic), $0.partition) }
        }
        try await consumer.assign(partitions)
        let ends = exitAtEnd || offset?.hasPrefix("-") == true ? try await consumer.endOffsets(partitions) : [:]
        for tp in partitions {
            if fromBeginning {
                try consumer.seek(tp, to: .beginning)
            } else if let timestamp {
                try consumer.seek(tp, to: .timestamp(TimestampMs(timestamp)))
            } else if let offset {
                switch offset.lowercased() {
                case "earliest", "beginning": try consumer.seek(tp, to: .beginning)
                case "latest", "end": try consumer.seek(tp, to: .end)
                default:
                    guard let n = Int64(offset) else {
                        throw ValidationError("--offset must be earliest, latest, N or -N")
                    }
                    if n < 0 {
                        try consumer.seek(tp, to: .offset(Offset(max(0, (ends[tp]?.rawValue ?? 0) + n))))
                    } else {
                        try consumer.seek(tp, to: .offset(Offset(n)))
                    }
                }
            } else {
                try consumer.seek(tp, to: .end)
            }
        }
        return exitAtEnd ? ends : nil
    }
}

/// Ends consumption after `--timeout-ms` without records, or at the end of the partitions (`--exit-at-end`), by
/// closing the consumer (which ends its records sequence).
final class Watchdog: Sendable {
    private let lastSeenNs = Mutex(MonotonicClock.nowNs())
    let timeoutMs: Int?

    init(timeoutMs: Int?) {
        self.timeoutMs = timeoutMs
    }

    func recordSeen() {
        lastSeenNs.withLock { $0 = MonotonicClock.nowNs() }
    }

    func run(consumer: Consumer, ends: [TopicPartition: Offset]?, exitAtEnd: Bool) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            if Task.isCancelled { return }
            let idleNs = MonotonicClock.nowNs() &- lastSeenNs.withLock { $0 }
            if let timeoutMs, idleNs >= UInt64(timeoutMs) * 1_000_000 { break }
            if exitAtEnd && atEnd(consumer, ends) { break }
        }
        if !Task.isCancelled { await consumer.close() }
    }

    private func atEnd(_ consumer: Consumer, _ ends: [TopicPartition: Offset]?) -> Bool {
        if let ends {
            return ends.allSatisfy { tp, end in (consumer.position(tp).map { $0 >= end }) ?? (end.rawValue <= 0) }
        }
        let assigned = consumer.assignment()
        guard !assigned.isEmpty else { return false }
        return assigned.allSatisfy { tp in
            guard let hw = consumer.highWatermark(tp), let position = consumer.position(tp) else { return false }
            return position >= hw
        }
    }
}
