import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

@testable import FjordClient

/// The producer's batching, draining and retry logic, driven with explicit times (no network, no sleeps).
@Suite("record accumulator")
struct RecordAccumulatorTests {
    static let ms: UInt64 = 1_000_000

    static func accumulator(
        batchSize: Int = 1000, linger: Duration = .milliseconds(5), idempotent: Bool = false, maxInFlight: Int = 5,
        maxRequestSize: Int = 1 << 20, retries: Int = 10
    ) -> RecordAccumulator {
        var c = ProducerConfiguration(bootstrapServers: [BrokerAddress(host: "h", port: 1)])
        c.batchSize = batchSize
        c.linger = linger
        c.enableIdempotence = idempotent
        c.acks = idempotent ? .all : .leader
        c.maxInFlightRequestsPerConnection = maxInFlight
        c.maxRequestSize = maxRequestSize
        c.retries = retries
        var acc = RecordAccumulator(settings: .init(c))
        acc.updateTopic("t", partitionCount: 2, available: [0, 1])
        return acc
    }

    static func record(_ value: String, partition: Int32 = 0) -> RecordAccumulator.Append {
        RecordAccumulator.Append(
            topic: "t", partition: PartitionID(partition), keyHash: nil, key: nil, value: ByteBuffer(string: value),
            headers: [], timestamp: TimestampMs(1000))
    }

    static let leaderOne: @Sendable (TopicPartition) -> BrokerID? = { _ in BrokerID(1) }
    static let connected: @Sendable (BrokerID) -> Bool = { _ in true }

    @Test func recordsFillABatchUntilBatchSize() {
        // batch.size counts the 61-byte batch header too.
        var acc = Self.accumulator(batchSize: 200 + RecordBatchHeader.size)
        var newBatches = 0
        for i in 0..<20 {
            let result = acc.append(
                Self.record(String(repeating: "x", count: 40) + "\(i)"), completion: .report(id: UInt64(i)), nowNs: 0)
            if case .appended(newBatch: true) = result { newBatches += 1 }
        }
        // Each record is ~50 bytes: 4 fit a 200-byte batch, so 20 records make 5 batches.
        #expect(newBatches == 5)
        #expect(acc.queue(TopicPartition(topic: "t", partition: 0))!.open.count == 5)
    }

    /// Appends `count` records of `valueBytes` with timestamps 100 ms apart (so timestamp deltas take 2-3 bytes),
    /// then drains and builds everything, returning the built batches' sizes.
    static func builtBatchSizes(_ acc: inout RecordAccumulator, count: Int, valueBytes: Int) -> [Int] {
        let value = ByteBuffer(repeating: UInt8(ascii: "v"), count: valueBytes)
        for i in 0..<count {
            let record = RecordAccumulator.Append(
                topic: "t", partition: PartitionID(0), keyHash: nil, key: nil, value: value, headers: [],
                timestamp: TimestampMs(1000 + Int64(i) * 100))
            _ = acc.append(record, completion: .report(id: UInt64(i)), nowNs: 0)
        }
        var sizes: [Int] = []
        var now: UInt64 = 10 * Self.ms
        while !acc.isIdle {
            let batches = Self.send(acc.drain(nowNs: now, leader: Self.leaderOne, connected: Self.connected))
            sizes += batches.map(\.bytes.readableBytes)
            _ = acc.complete(broker: BrokerID(1), batches.map { ($0, Self.answer(.noError)) }, nowNs: now)
            now += Self.ms
        }
        return sizes
    }

    /// The 1 KiB bench case: batches are judged by their real encoding (offset and timestamp deltas grow past one
    /// byte), so a full 1 MiB batch stays within batch.size and the broker's default max.message.bytes
    /// (1048588) instead of coming out ~2 KB over and failing with MESSAGE_TOO_LARGE.
    @Test func fullBatchesStayWithinBatchSizeWithGrowingDeltas() {
        var acc = Self.accumulator(batchSize: 1 << 20, linger: .zero)
        let sizes = Self.builtBatchSizes(&acc, count: 3000, valueBytes: 1024)
        #expect(sizes.count == 3)
        #expect(sizes.allSatisfy { $0 <= 1 << 20 })
        #expect(sizes.dropLast().allSatisfy { $0 > (1 << 20) - 1100 })  // full batches are full
    }

    /// batch.size above max.request.size is capped: a batch must fit a request.
    @Test func batchSizeIsCappedAtMaxRequestSize() {
        var acc = Self.accumulator(batchSize: 4 << 20, linger: .zero, maxRequestSize: 100_000)
        let sizes = Self.builtBatchSizes(&acc, count: 400, valueBytes: 1000)
        #expect(sizes.allSatisfy { $0 <= 100_000 })
        #expect(sizes.count == 5)
    }

    @Test func lingerHoldsAPartialBatchUntilItExpires() {
        var acc = Self.accumulator(linger: .milliseconds(5))
        _ = acc.append(Self.record("a"), completion: .report(id: 1), nowNs: 10 * Self.ms)
        let early = acc.drain(nowNs: 12 * Self.ms, leader: Self.leaderOne, connected: Self.connected)
        #expect(early.sends.isEmpty)
        #expect(early.nextWakeNs == 15 * Self.ms)
        let late = acc.drain(nowNs: 15 * Self.ms, leader: Self.leaderOne, connected: Self.connected)
        #expect(late.sends[BrokerID(1)]?.count == 1)
    }

    @Test func fullBatchesGoWithoutWaitingForLinger() {
        var acc = Self.accumulator(batchSize: 100, linger: .seconds(10))
        for i in 0..<5 {
            _ = acc.append(Self.record(String(repeating: "y", count: 40)), completion: .report(id: UInt64(i)), nowNs: 0)
        }
        let plan = acc.drain(nowNs: 1, leader: Self.leaderOne, connected: Self.connected)
        // One batch per partition per request: the first full batch goes; the rest wait for the next request.
        #expect(plan.sends[BrokerID(1)]?.count == 1)
    }

    @Test func onePartitionBatchPerRequestAndInFlightLimit() {
        var acc = Self.accumulator(linger: .zero, maxInFlight: 2)
        for p in [Int32(0), 1] { _ = acc.append(Self.record("a", partition: p), completion: .report(id: 1), nowNs: 0) }
        let first = acc.drain(nowNs: 1, leader: Self.leaderOne, connected: Self.connected)
        #expect(first.sends[BrokerID(1)]?.count == 2)  // both partitions in one request
        _ = acc.append(Self.record("b"), completion: .report(id: 2), nowNs: 2)
        let second = acc.drain(nowNs: 3, leader: Self.leaderOne, connected: Self.connected)
        #expect(second.sends[BrokerID(1)]?.count == 1)
        _ = acc.append(Self.record("c"), completion: .report(id: 3), nowNs: 4)
        let third = acc.drain(nowNs: 5, leader: Self.leaderOne, connected: Self.connected)
        #expect(third.sends.isEmpty)  // two requests unanswered: the limit
        #expect(acc.inFlightRequests[BrokerID(1)] == 2)
    }

    @Test func unknownLeaderAsksForMetadataAndMissingConnectionForAConnect() {
        var acc = Self.accumulator(linger: .zero)
        _ = acc.append(Self.record("a"), completion: .report(id: 1), nowNs: 0)
        let noLeader = acc.drain(nowNs: 1, leader: { _ in nil }, connected: Self.connected)
        #expect(noLeader.refreshMetadata && noLeader.sends.isEmpty)
        let notConnected = acc.drain(nowNs: 1, leader: Self.leaderOne, connected: { _ in false })
        #expect(notConnected.connect == [BrokerID(1)] && notConnected.sends.isEmpty)
    }

    @Test func unknownTopicAndBadPartitionAreReported() {
        var acc = Self.accumulator()
        var r = Self.record("a")
        r.topic = "other"
        let unknown = acc.append(r, completion: .report(id: 1), nowNs: 0)
        let outOfRange = acc.append(Self.record("a", partition: 7), completion: .report(id: 1), nowNs: 0)
        #expect(unknown == .unknownTopic)
        #expect(outOfRange == .partitionOutOfRange(partitionCount: 2))
    }

    @Test func batchesExpireAfterDeliveryTimeout() {
        var c = ProducerConfiguration(bootstrapServers: [BrokerAddress(host: "h", port: 1)])
        c.deliveryTimeout = .milliseconds(100)
        c.requestTimeout = .milliseconds(50)
        c.linger = .zero
        var acc = RecordAccumulator(settings: .init(c))
        acc.updateTopic("t", partitionCount: 1, available: [0])
        _ = acc.append(Self.record("a"), completion: .report(id: 9), nowNs: 0)
        let plan = acc.drain(nowNs: 101 * Self.ms, leader: { _ in nil }, connected: Self.connected)
        #expect(plan.finished.count == 1)
        let report = plan.finished[0].complete()
        #expect(report?.error?.kind == .deliveryTimedOut)
        #expect(report?.deliveries == [DeliveryReport.Delivery(id: 9, offset: .none)])
        #expect(acc.bufferedBytes == 0 && acc.isIdle)
    }

    /// Builds the drained batches as the sender would, then answers them.
    static func send(_ plan: RecordAccumulator.DrainPlan) -> [ReadyBatch] {
        (plan.sends[BrokerID(1)] ?? []).map { item in
            switch item {
            case .open(var open, let sequence):
                let count = open.builder.recordCount
                let bytes = try! open.builder.build()
                var ready = ReadyBatch(
                    id: open.id, topicPartition: open.topicPartition, bytes: bytes, recordCount: count,
                    completions: open.completions, createdNs: open.createdNs, sizeBytes: open.sizeBytes,
                    sequence: sequence)
                ready.attempts = 1
                return ready
            case .ready(var ready):
                ready.attempts += 1
                return ready
            }
        }
    }

    static func answer(_ code: ErrorCode, offset: Int64 = 0) -> RecordAccumulator.BatchResponse {
        .partition(errorCode: code, baseOffset: Offset(offset), logAppendTime: .none, message: nil)
    }

    @Test func successReportsOffsetsPerRecord() {
        var acc = Self.accumulator(linger: .zero)
        for i in 0..<3 { _ = acc.append(Self.record("r\(i)"), completion: .report(id: UInt64(i)), nowNs: 0) }
        let batches = Self.send(acc.drain(nowNs: 1, leader: Self.leaderOne, connected: Self.connected))
        let done = acc.complete(broker: BrokerID(1), batches.map { ($0, Self.answer(.noError, offset: 40)) }, nowNs: 2)
        let report = done.finished[0].complete()!
        #expect(report.deliveries.map(\.offset) == [Offset(40), Offset(41), Offset(42)])
        #expect(report.error == nil)
        #expect(acc.isIdle && acc.inFlightRequests[BrokerID(1)] == 0)
    }

    /// `send` and `enqueue` records in one batch: the waiter gets its own offset, the report lists the rest.
    @Test func mixedSendAndEnqueueRecordsKeepTheirOffsets() async throws {
        var acc = Self.accumulator(linger: .zero)
        _ = acc.append(Self.record("r0"), completion: .report(id: 10), nowNs: 0)
        var report: DeliveryReport?
        let metadata = try await withCheckedThrowingContinuation { continuation in
            _ = acc.append(Self.record("r1"), completion: .continuation(continuation, TimestampMs(7)), nowNs: 0)
            _ = acc.append(Self.record("r2"), completion: .report(id: 12), nowNs: 0)
            let batches = Self.send(acc.drain(nowNs: 1, leader: Self.leaderOne, connected: Self.connected))
            let done = acc.complete(
                broker: BrokerID(1), batches.map { ($0, Self.answer(.noError, offset: 40)) }, nowNs: 2)
            report = done.finished[0].complete()
        }
        #expect(metadata.offset == Offset(41) && metadata.timestamp == TimestampMs(7))
        #expect(report?.deliveries.map(\.id) == [10, 12])
        #expect(report?.deliveries.map(\.offset) == [Offset(40), Offset(42)])
    }

    @Test func retriableErrorRequeuesAfterBackoffAndRefreshesMetadata() {
        var acc = Self.accumulator(linger: .zero)
        _ = acc.append(Self.record("a"), completion: .report(id: 1), nowNs: 0)
        let batches = Self.send(acc.drain(nowNs: 1, leader: Self.leaderOne, connected: Self.connected))
        let outcome = acc.complete(
            broker: BrokerID(1), batches.map { ($0, Self.answer(.notLeaderOrFollower)) }, nowNs: 10)
        #expect(outcome.finished.isEmpty && outcome.refreshMetadata)
        let tooEarly = acc.drain(nowNs: 50 * Self.ms, leader: Self.leaderOne, connected: Self.connected)
        #expect(tooEarly.sends.isEmpty)
        let again = acc.drain(nowNs: 10 + 100 * Self.ms, leader: Self.leaderOne, connected: Self.connected)
        #expect(again.sends[BrokerID(1)]?.count == 1)
    }

    @Test func retriesRunOutIntoFailure() {
        var acc = Self.accumulator(linger: .zero, retries: 1)
        _ = acc.append(Self.record("a"), completion: .report(id: 1), nowNs: 0)
        var now: UInt64 = 1
        var failures = 0
        for _ in 0..<3 {
            let batches = Self.send(acc.drain(nowNs: now, leader: Self.leaderOne, connected: Self.connected))
            guard !batches.isEmpty else { break }
            let outcome = acc.complete(
                broker: BrokerID(1), batches.map { ($0, Self.answer(.notEnoughReplicas)) }, nowNs: now)
            failures += outcome.finished.count
            now += 200 * Self.ms
        }
        #expect(failures == 1)
        #expect(acc.isIdle)
    }

    @Test func nonRetriableErrorFailsAtOnce() {
        var acc = Self.accumulator(linger: .zero)
        _ = acc.append(Self.record("a"), completion: .report(id: 1), nowNs: 0)
        let batches = Self.send(acc.drain(nowNs: 1, leader: Self.leaderOne, connected: Self.connected))
        let outcome = acc.complete(broker: BrokerID(1), batches.map { ($0, Self.answer(.messageTooLarge)) }, nowNs: 2)
        #expect(outcome.finished.first?.complete()?.error?.errorCode == .messageTooLarge)
    }

    @Test func flushMakesEverythingReadyAndCompletesWhenDone() async {
        var acc = Self.accumulator(linger: .seconds(60))
        _ = acc.append(Self.record("a"), completion: .report(id: 1), nowNs: 0)
        #expect(acc.drain(nowNs: 1, leader: Self.leaderOne, connected: Self.connected).sends.isEmpty)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let registered = acc.addFlush(c)
            #expect(registered)
            let batches = Self.send(acc.drain(nowNs: 2, leader: Self.leaderOne, connected: Self.connected))
            #expect(batches.count == 1)
            let outcome = acc.complete(broker: BrokerID(1), batches.map { ($0, Self.answer(.noError)) }, nowNs: 3)
            #expect(outcome.flushWaiters.count == 1)
            outcome.flushWaiters.forEach { $0.resume() }
        }
    }

    @Test func bufferMemoryLimitsAppends() {
        var c = ProducerConfiguration(bootstrapServers: [BrokerAddress(host: "h", port: 1)])
        c.bufferMemory = 100
        c.maxRequestSize = 1000
        var acc = RecordAccumulator(settings: .init(c))
        acc.updateTopic("t", partitionCount: 1, available: [0])
        let first = acc.append(Self.record(String(repeating: "x", count: 60)), completion: .report(id: 1), nowNs: 0)
        let second = acc.append(Self.record(String(repeating: "x", count: 60)), completion: .report(id: 2), nowNs: 0)
        let huge = acc.append(Self.record(String(repeating: "x", count: 2000)), completion: .report(id: 3), nowNs: 0)
        #expect(first != .bufferFull)
        #expect(second == .bufferFull)
        guard case .recordTooLarge = huge else {
            Issue.record("a record larger than max.request.size is refused, got \(huge)")
            return
        }
    }
}
