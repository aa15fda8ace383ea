import ArgumentParser
import FjordClient
import FjordModel
import NIOCore
import Synchronization

/// `fjord perf`: kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh.
struct PerfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf", abstract: "Producer and consumer throughput tests.",
        subcommands: [Produce.self, Consume.self])

    struct Produce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Produce records as fast as allowed and report throughput and latency (kafka-producer-perf-test)."
        )
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("t")], help: "The topic.") var topic: String
        @Option(name: .customLong("num-records")) var numRecords: Int
        @Option(name: .customLong("record-size"), help: "Bytes per record value.") var recordSize: Int = 100
        @Option(parsing: .unconditional, help: "Records per second to aim for; -1 for no limit.") var throughput: Int =
            -1
        @Option(
            name: .customLong("producer-props"), parsing: .upToNextOption,
            help: "Producer properties key=value (acks=all linger.ms=5 …).")
        var producerProps: [String] = []
        @Option(name: .customLong("reporting-interval"), help: "Seconds between progress lines.")
        var reportingInterval: Int = 5

        func run() async throws {
            try await CommandErrors.reporting {
                var configuration = ProducerConfiguration(bootstrapServers: try connection.bootstrapServers())
                configuration.clientId = "fjord-perf-producer"
                for (key, value) in try connection.propertyMap().merging(
                    PropertyParsing.parse(producerProps), uniquingKeysWith: { $1 })
                {
                    try configuration.apply(key, value)
                }
                // Options read once: an `@Option`'s getter is far too slow for the per-record path.
                let topic = self.topic
                let numRecords = self.numRecords
                let recordSize = self.recordSize
                let sendTimes = SendTimes(count: numRecords)
                let stats = Mutex(ProducerPerfState())
                let producer = try Producer(
                    configuration: configuration, logger: connection.logger("fjord.perf"),
                    deliveryReportHandler: { report in
                        let now = MonotonicClock.nowNs()
                        stats.withLock { s in
                            for d in report.deliveries {
                                let latencyMs = Double(now &- sendTimes[Int(d.id)]) / 1e6
                                s.complete(latencyMs: latencyMs, bytes: recordSize, failed: report.error != nil)
                            }
                            if s.firstError == nil, let error = report.error { s.firstError = error }
                        }
                    })
                _ = try await producer.partitions(of: topic)
                let payload = ByteBuffer(
                    bytes: (0..<recordSize).map { _ in UInt8(ascii: "A") + UInt8.random(in: 0..<26) })
                let start = MonotonicClock.nowNs()
                let reportEveryNs = UInt64(max(1, reportingInterval)) * 1_000_000_000
                var nextReport = start &+ reportEveryNs
                let throttle = Throttle(recordsPerSecond: throughput, startNs: start)
                for i in 0..<numRecords {
                    let now = MonotonicClock.nowNs()
                    sendTimes[i] = now
                    try await producer.enqueue(topic: topic, value: payload, deliveryId: UInt64(i))
                    if now >= nextReport {
                        let line = stats.withLock { $0.takeWindowLine(nowNs: now) }
                        print(line)
                        nextReport = now &+ reportEveryNs
                    }
                    if let sleepNs = throttle.delayNs(sent: i + 1, nowNs: now) {
                        try await Task.sleep(for: .nanoseconds(sleepNs))
                    }
                }
                await producer.flush()
                let elapsed = Double(MonotonicClock.nowNs() &- start) / 1e9
                await producer.close()
                let (line, failed, error) = stats.withLock {
                    ($0.total.finalLine(elapsedSeconds: elapsed), $0.failed, $0.firstError)
                }
                print(line)
                if let error {
                    throw KafkaClientError(
                        error.kind, "\(failed) records failed: \(error.message)", errorCode: error.errorCode)
                }
            }
        }
    }

    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Consume records as fast as possible and report throughput (kafka-consumer-perf-test).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("t")], help: "The topic.") var topic: String
        @Option(help: "Records to consume.") var messages: Int
        @Option(name: [.long, .customShort("g")], help: "Consumer group (default: read partitions directly).")
        var group: String?
        @Option(name: .customLong("timeout-ms"), help: "Give up when no record arrives for this long.")
        var timeoutMs: Int = 10_000
        @Option(name: .customLong("consumer-props"), parsing: .upToNextOption, help: "Consumer properties key=value.")
        var consumerProps: [String] = []

        func run() async throws {
            try await CommandErrors.reporting {
                var configuration = ConsumerConfiguration(
                    bootstrapServers: try connection.bootstrapServers(), groupId: group)
                configuration.clientId = "fjord-perf-consumer"
                configuration.autoOffsetReset = .earliest
                for (key, value) in try connection.propertyMap().merging(
                    PropertyParsing.parse(consumerProps), uniquingKeysWith: { $1 })
                {
                    try configuration.apply(key, value)
                }
                let consumer = try Consumer(configuration: configuration, logger: connection.logger("fjord.perf"))
                if group != nil {
                    try await consumer.subscribe(topics: [topic])
                } else {
                    let partitions = try await consumer.partitions(of: topic).map {
                        TopicPartition(TopicName(topic), $0.partition)
                    }
                    try await consumer.assign(partitions)
                    for tp in partitions { try consumer.seek(tp, to: .beginning) }
                }
                let watchdog = Watchdog(timeoutMs: timeoutMs)
                let watch = Task { await watchdog.run(consumer: consumer, ends: nil, exitAtEnd: false) }
                var count = 0
                var bytes = 0
                var start: UInt64?
                for try await record in consumer.records {
                    if start == nil { start = MonotonicClock.nowNs() }
                    count += 1
                    bytes += (record.value?.readableBytes ?? 0) + (record.key?.readableBytes ?? 0)
                    if count % 1000 == 0 { watchdog.recordSeen() }
                    if count >= messages { break }
                }
                let end = MonotonicClock.nowNs()
                watch.cancel()
                await consumer.close()
                let seconds = Double(end &- (start ?? end)) / 1e9
                let mb = Double(bytes) / 1024 / 1024
                print("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec")
                print(
                    "-, -, \(Fixed.format(mb, 4)), \(Fixed.format(seconds > 0 ? mb / seconds : 0, 4)), \(count), "
                        + "\(Fixed.format(seconds > 0 ? Double(count) / seconds : 0, 4))")
                print(
                    "\(count) records consumed, \(Fixed.format(seconds > 0 ? Double(count) / seconds : 0, 1)) records/sec "
                        + "(\(Fixed.format(seconds > 0 ? mb / seconds : 0, 2)) MB/sec)")
                if count < messages {
                    throw KafkaClientError(
                        .deliveryTimedOut,
                        "only \(count) of \(messages) records arrived within --timeout-ms \(timeoutMs)")
                }
            }
        }
    }
}

/// Per-record send times, written by the sending task before `enqueue` and read by delivery handlers after the
/// batch completes. `@unchecked Sendable`: each slot is written once before its record is handed to the producer
/// (whose lock publishes it) and read only after the producer reports that record, so no slot is accessed
/// concurrently.
final class SendTimes: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<UInt64>

    init(count: Int) {
        storage = .allocate(capacity: max(1, count))
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    subscript(index: Int) -> UInt64 {
        get { storage[index] }
        set { storage[index] = newValue }
    }
}

/// The producer perf test's counters: totals and the current reporting window.
struct ProducerPerfState {
    var total = PerfStats()
    var failed = 0
    var firstError: KafkaClientError?
    private var windowCount = 0
    private var windowBytes = 0
    private var windowLatencySumMs = 0.0
    private var windowLatencyMaxMs = 0.0
    private var windowStartNs = MonotonicClock.nowNs()

    mutating func complete(latencyMs: Double, bytes: Int, failed isFailure: Bool) {
        if isFailure {
            failed += 1
            return
        }
        total.record(latencyMs: latencyMs, bytes: bytes)
        windowCount += 1
        windowBytes += bytes
        windowLatencySumMs += latencyMs
        windowLatencyMaxMs = max(windowLatencyMaxMs, latencyMs)
    }

    mutating func takeWindowLine(nowNs: UInt64) -> String {
        let line = PerfStats.windowLine(
            count: windowCount, bytes: windowBytes, latencySumMs: windowLatencySumMs, latencyMaxMs: windowLatencyMaxMs,
            elapsedSeconds: Double(nowNs &- windowStartNs) / 1e9)
        windowCount = 0
        windowBytes = 0
        windowLatencySumMs = 0
        windowLatencyMaxMs = 0
        windowStartNs = nowNs
        return line
    }
}

/// kafka-producer-perf-test's throttle: sleeps when ahead of `recordsPerSecond`.
struct Throttle {
    let recordsPerSecond: Int
    let startNs: UInt64

    init(recordsPerSecond: Int, startNs: UInt64) {
        self.recordsPerSecond = recordsPerSecond
        self.startNs = startNs
    }

    /// How long to sleep after `sent` records, nil for no sleep.
    func delayNs(sent: Int, nowNs: UInt64) -> UInt64? {
        guard recordsPerSecond > 0 else { return nil }
        let dueNs = startNs &+ UInt64(Double(sent) / Double(recordsPerSecond) * 1e9)
        guard dueNs > nowNs, dueNs - nowNs > 1_000_000 else { return nil }
        return dueNs - nowNs
    }
}
