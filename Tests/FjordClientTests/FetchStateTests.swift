import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

@testable import FjordClient

/// The consumer's positions, fetch planning and chunk hand-over, without a network.
@Suite("consumer fetch state")
struct FetchStateTests {
    let tp = TopicPartition(topic: "t", partition: 0)
    let leader: @Sendable (TopicPartition) -> BrokerID? = { _ in BrokerID(1) }
    let connected: @Sendable (BrokerID) -> Bool = { _ in true }

    func state(reset: OffsetResetStrategy = .earliest) -> FetchState {
        FetchState(
            maxBufferedBytes: 1 << 20, maxPartitionFetchBytes: 1 << 20, autoOffsetReset: reset, retryBackoffNs: 100)
    }

    static func batch(baseOffset: Int64, values: [String]) -> ByteBuffer {
        var builder = RecordBatchBuilder(baseOffset: Offset(baseOffset))
        for v in values { builder.append(key: nil, value: ByteBuffer(string: v), timestamp: TimestampMs(5)) }
        return try! builder.build()
    }

    @Test func positionsAreLookedUpThenFetched() {
        var s = state()
        s.assign([tp], source: .reset(.earliest))
        let first = s.plan(nowNs: 0, leader: leader, connected: connected)
        #expect(first.lookups.count == 1 && first.requests.isEmpty)
        let again = s.plan(nowNs: 0, leader: leader, connected: connected)
        #expect(again.lookups.isEmpty, "one lookup at a time")
        s.resolved(tp, epoch: first.lookups[0].epoch, offset: Offset(5))
        let second = s.plan(nowNs: 0, leader: leader, connected: connected)
        #expect(second.requests[BrokerID(1)]?.first?.fetchOffset == Offset(5))
        let third = s.plan(nowNs: 0, leader: leader, connected: connected)
        #expect(third.requests.isEmpty, "one fetch per broker")
    }

    @Test func responsesBecomeChunksAndThePositionFollows() throws {
        var s = state()
        s.assign([tp], source: .reset(.earliest))
        let lookup = s.plan(nowNs: 0, leader: leader, connected: connected).lookups[0]
        s.resolved(tp, epoch: lookup.epoch, offset: Offset(11))
        let plan = s.plan(nowNs: 0, leader: leader, connected: connected)
        var records = Self.batch(baseOffset: 10, values: ["a", "b", "c"])
        let partial = Self.batch(baseOffset: 13, values: ["d"])
        records.writeImmutableBuffer(partial.getSlice(at: 0, length: 20)!)  // a cut-off trailing batch
        _ = s.applyFetch(
            broker: BrokerID(1), sent: plan.requests[BrokerID(1)]!,
            results: [
                tp: .init(errorCode: .noError, highWatermark: Offset(14), logStartOffset: .zero, records: records)
            ],
            nowNs: 1)
        #expect(s.highWatermark(tp) == Offset(14))
        let taken = s.takeChunk(finished: nil)
        let (chunk, progress) = try #require(taken)
        #expect(chunk.fetchOffset == Offset(11) && chunk.nextOffset == Offset(13))
        var cursor = ChunkCursor(chunk: chunk, progress: progress)
        let first = try cursor.next(checkCRC: true)
        let r1 = try #require(first)
        #expect(r1.offset == Offset(11), "records before the fetch offset are skipped")
        #expect(s.commitPositions(processedOnly: false)[tp] == Offset(12))
        #expect(s.commitPositions(processedOnly: true)[tp] == Offset(11), "returned but not yet processed")
        cursor.markProcessed()
        #expect(s.commitPositions(processedOnly: true)[tp] == Offset(12))
        let r2 = try cursor.next(checkCRC: true)
        let end = try cursor.next(checkCRC: true)
        #expect(r2?.offset == Offset(12))
        #expect(end == nil)
        let none = s.takeChunk(finished: progress)
        #expect(none == nil)
        #expect(s.position(tp) == Offset(13))
        // The next fetch continues after the whole batches.
        let next = s.plan(nowNs: 2, leader: leader, connected: connected)
        #expect(next.requests[BrokerID(1)]?.first?.fetchOffset == Offset(13))
    }

    @Test func seekDropsBufferedChunksAndStaleResponses() {
        var s = state()
        s.assign([tp], source: .reset(.earliest))
        let lookup = s.plan(nowNs: 0, leader: leader, connected: connected).lookups[0]
        s.resolved(tp, epoch: lookup.epoch, offset: .zero)
        let plan = s.plan(nowNs: 0, leader: leader, connected: connected)
        let sought = s.seek(tp, to: Offset(100))
        #expect(sought)
        _ = s.applyFetch(
            broker: BrokerID(1), sent: plan.requests[BrokerID(1)]!,
            results: [
                tp: .init(
                    errorCode: .noError, highWatermark: Offset(3), logStartOffset: .zero,
                    records: Self.batch(baseOffset: 0, values: ["x"]))
            ], nowNs: 1)
        let dropped = s.takeChunk(finished: nil)
        #expect(dropped == nil, "the answer to the pre-seek fetch is dropped")
        let again = s.plan(nowNs: 2, leader: leader, connected: connected)
        #expect(again.requests[BrokerID(1)]?.first?.fetchOffset == Offset(100))
    }

    @Test func offsetOutOfRangeResetsOrFails() {
        for policy in [OffsetResetStrategy.latest, .none] {
            var s = state(reset: policy)
            s.assign([tp], source: .reset(.earliest))
            s.resolved(
                tp, epoch: s.plan(nowNs: 0, leader: leader, connected: connected).lookups[0].epoch, offset: Offset(50))
            let plan = s.plan(nowNs: 0, leader: leader, connected: connected)
            _ = s.applyFetch(
                broker: BrokerID(1), sent: plan.requests[BrokerID(1)]!,
                results: [
                    tp: .init(errorCode: .offsetOutOfRange, highWatermark: .none, logStartOffset: .none, records: nil)
                ],
                nowNs: 1)
            if policy == .none {
                #expect(s.pendingError?.errorCode == .offsetOutOfRange)
            } else {
                let next = s.plan(nowNs: 2, leader: leader, connected: connected)
                #expect(next.lookups.first?.1 == .reset(.latest))
            }
        }
    }

    @Test func pausedPartitionsKeepTheirChunks() {
        var s = state()
        s.assign([tp], source: .reset(.earliest))
        s.resolved(tp, epoch: s.plan(nowNs: 0, leader: leader, connected: connected).lookups[0].epoch, offset: .zero)
        let plan = s.plan(nowNs: 0, leader: leader, connected: connected)
        _ = s.applyFetch(
            broker: BrokerID(1), sent: plan.requests[BrokerID(1)]!,
            results: [
                tp: .init(
                    errorCode: .noError, highWatermark: Offset(1), logStartOffset: .zero,
                    records: Self.batch(baseOffset: 0, values: ["x"]))
            ], nowNs: 1)
        s.setPaused([tp], true)
        let whilePaused = s.takeChunk(finished: nil)
        let planPaused = s.plan(nowNs: 2, leader: leader, connected: connected)
        #expect(whilePaused == nil)
        #expect(planPaused.requests.isEmpty)
        s.setPaused([tp], false)
        let afterResume = s.takeChunk(finished: nil)
        #expect(afterResume != nil)
    }

    @Test func leaderErrorsBackOffAndRefreshMetadata() {
        var s = state()
        s.assign([tp], source: .reset(.earliest))
        s.resolved(tp, epoch: s.plan(nowNs: 0, leader: leader, connected: connected).lookups[0].epoch, offset: .zero)
        let plan = s.plan(nowNs: 0, leader: leader, connected: connected)
        let outcome = s.applyFetch(
            broker: BrokerID(1), sent: plan.requests[BrokerID(1)]!,
            results: [
                tp: .init(errorCode: .notLeaderOrFollower, highWatermark: .none, logStartOffset: .none, records: nil)
            ],
            nowNs: 10)
        #expect(outcome.refreshMetadata)
        let backingOff = s.plan(nowNs: 50, leader: leader, connected: connected)
        let retried = s.plan(nowNs: 200, leader: leader, connected: connected)
        #expect(backingOff.requests.isEmpty)
        #expect(retried.requests.count == 1)
    }

    /// Two partitions of one broker: p0 has a full buffer (1 MiB), p1 is caught up. A fetch of p1 alone would park
    /// in the broker's long poll and keep p0 from being fetched once drained, so it waits for p0; a caught-up
    /// partition of a broker with nothing held back is fetched (long-polled) as usual.
    @Test(arguments: [1, 2])
    func caughtUpPartitionsWaitForTheirBrokersDrainingOnes(p0Leader: Int32) {
        let p0 = TopicPartition(topic: "t", partition: 0)
        let p1 = TopicPartition(topic: "t", partition: 1)
        let leader: @Sendable (TopicPartition) -> BrokerID? = { $0 == p0 ? BrokerID(p0Leader) : BrokerID(1) }
        var s = FetchState(
            maxBufferedBytes: 8 << 20, maxPartitionFetchBytes: 1024, autoOffsetReset: .earliest, retryBackoffNs: 100)
        s.assign([p0, p1], source: .reset(.earliest))
        for lookup in s.plan(nowNs: 0, leader: leader, connected: connected).lookups {
            s.resolved(lookup.0, epoch: lookup.epoch, offset: .zero)
        }
        let first = s.plan(nowNs: 0, leader: leader, connected: connected)
        let big = Self.batch(
            baseOffset: 0, values: Array(repeating: String(repeating: "x", count: 64 << 10), count: 17))
        for (broker, sent) in first.requests {
            var results: [TopicPartition: FetchState.PartitionResult] = [:]
            for item in sent {
                results[item.0] =
                    item.0 == p0
                    ? .init(errorCode: .noError, highWatermark: Offset(100), logStartOffset: .zero, records: big)
                    : .init(errorCode: .noError, highWatermark: .zero, logStartOffset: .zero, records: ByteBuffer())
            }
            _ = s.applyFetch(broker: broker, sent: sent, results: results, nowNs: 1)
        }
        let held = s.plan(nowNs: 2, leader: leader, connected: connected)
        if p0Leader == 1 {
            #expect(held.requests.isEmpty, "p1 alone would long-poll while p0 drains")
            let taken = s.takeChunk(finished: nil)
            #expect(taken?.0.topicPartition == p0)
            let both = s.plan(nowNs: 3, leader: leader, connected: connected)
            #expect(both.requests[BrokerID(1)]?.map(\.0).sorted() == [p0, p1])
        } else {
            #expect(held.requests[BrokerID(1)]?.map(\.0) == [p1])
            #expect(held.requests[BrokerID(2)] == nil, "p0's buffer is full")
        }
    }

    @Test func nextOffsetReadsOnlyWholeBatches() {
        var records = Self.batch(baseOffset: 7, values: ["a", "b"])
        #expect(FetchState.nextOffset(after: records) == Offset(9))
        records.writeBytes([0, 0, 0])
        #expect(FetchState.nextOffset(after: records) == Offset(9))
        #expect(FetchState.nextOffset(after: ByteBuffer(bytes: [1, 2, 3])) == nil)
    }
}

extension FetchedChunk: Equatable {
    public static func == (a: FetchedChunk, b: FetchedChunk) -> Bool {
        a.topicPartition == b.topicPartition && a.epoch == b.epoch && a.fetchOffset == b.fetchOffset
    }
}
