import FjordModel
import KafkaWire
import NIOCore
import Testing

@testable import FjordStorage

@Suite struct TimestampTests {
    /// Appends batches with the given max timestamps (one record each).
    private func appendTimestamps(_ log: PartitionLog, _ timestamps: [Int64]) throws {
        for ts in timestamps {
            var batch = TestBatch.make(records: 1, valueBytes: 200, baseTimestamp: ts)
            try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(0))
        }
    }

    /// The expected answer by brute force: the first batch (offset) whose timestamp is >= target.
    private func firstAtLeast(_ timestamps: [Int64], _ target: Int64) -> Int64? {
        timestamps.firstIndex(where: { $0 >= target }).map(Int64.init)
    }

    @Test func lookupFindsTheFirstBatchReachingTheTimestamp() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentBytes: 2_000, indexIntervalBytes: 300))
        let timestamps = (0..<50).map { Int64(1_000 + 10 * $0) }
        try appendTimestamps(log, timestamps)
        #expect(log.segmentBaseOffsets.count > 3)
        for target in stride(from: Int64(900), through: 1_600, by: 7) {
            let found = try log.offsetForTimestamp(TimestampMs(target))
            #expect(found?.offset.rawValue == firstAtLeast(timestamps, target), "target \(target)")
        }
    }

    @Test func lookupWithNonMonotonicTimestamps() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir, config: TestLog.config(segmentBytes: 3_000, indexIntervalBytes: 500))
        var generator = SplitMix(seed: 42)
        let timestamps = (0..<80).map { _ in Int64(1_000 + generator.next() % 500) }
        try appendTimestamps(log, timestamps)
        for target in stride(from: Int64(990), through: 1_510, by: 3) {
            let found = try log.offsetForTimestamp(TimestampMs(target))
            #expect(found?.offset.rawValue == firstAtLeast(timestamps, target), "target \(target)")
            if let found { #expect(found.timestamp.rawValue == timestamps[Int(found.offset.rawValue)]) }
        }
        let max = try #require(try log.offsetOfMaxTimestamp())
        let maxValue = timestamps.max()!
        #expect(max.timestamp.rawValue == maxValue)
        #expect(max.offset.rawValue == Int64(timestamps.firstIndex(of: maxValue)!))
    }

    @Test func lookupRespectsTheLogStartOffset() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        try appendTimestamps(log, [100, 200, 300, 400])
        log.updateHighWatermark(Offset(4))
        try log.advanceLogStartOffset(to: Offset(2))
        #expect(try log.offsetForTimestamp(TimestampMs(0))?.offset == Offset(2))
        #expect(try log.offsetForTimestamp(TimestampMs(350))?.offset == Offset(3))
        #expect(try log.offsetForTimestamp(TimestampMs(401)) == nil)
    }

    @Test func recordLocatorRefinesInsideABatch() throws {
        let dir = TemporaryDirectory()
        let log = try TestLog.open(dir)
        var batch = TestBatch.make(records: 10, baseTimestamp: 1_000, timestampStep: 5)  // 1000...1045
        try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(3))
        let coarse = try #require(try log.offsetForTimestamp(TimestampMs(1_012)))
        #expect(coarse.offset == .zero && coarse.leaderEpoch == LeaderEpoch(3))
        let exact = try log.offsetForTimestamp(TimestampMs(1_012)) { bytes, target in
            let header = try! RecordBatchHeader.peek(bytes, at: bytes.readerIndex)
            let delta = (target.rawValue - header.baseTimestamp.rawValue + 4) / 5  // records every 5 ms
            return TimestampAndOffset(
                timestamp: TimestampMs(header.baseTimestamp.rawValue + delta * 5), offset: header.baseOffset + delta,
                leaderEpoch: header.partitionLeaderEpoch)
        }
        #expect(exact?.offset == Offset(3) && exact?.timestamp == TimestampMs(1_015))
    }

    @Test func logAppendTimeStampsTheBrokerClock() throws {
        let dir = TemporaryDirectory()
        var config = TestLog.config()
        config.timestampType = .logAppendTime
        let log = try TestLog.open(dir, config: config)
        var batch = TestBatch.make(records: 4, baseTimestamp: 5)
        let info = try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(0), now: TimestampMs(777_000))
        #expect(info.logAppendTime == TimestampMs(777_000))
        #expect(info.maxTimestamp == TimestampMs(777_000))
        let stored = try TestBatch.headers(try log.read(from: .zero, maxBytes: 1 << 20).readBytes())
        #expect(stored[0].maxTimestamp == TimestampMs(777_000))
        #expect(stored[0].attributes.isLogAppendTime)  // and the CRC still validates (headers() validates)
        #expect(try log.offsetForTimestamp(TimestampMs(776_000))?.offset == .zero)
    }
}

/// A small deterministic generator for test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
