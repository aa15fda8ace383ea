import FjordModel
import FjordReplication
import FjordStorage
import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// Two or three ReplicaManagers in one process replicating over real TCP (see `ReplicationCluster`).
@Suite(.serialized) struct ReplicationTests {
    let tp = TopicPartition(topic: "orders", partition: 0)

    @Test func acksAllCompletesOnlyOnceEveryIsrFollowerHasFetchedPastTheAppend() async throws {
        try await ReplicationCluster.with([1, 2, 3]) { cluster in
            cluster.createPartition(tp, replicas: [1, 2, 3])
            var expectedBase: Int64 = 0
            for round in 0..<10 {
                let result = try await cluster.produce(tp, to: 1, TestRecords.batch(count: 3, fill: UInt8(round)))
                #expect(result.error == .noError)
                #expect(result.baseOffset == Offset(expectedBase))
                expectedBase += 3
                // At completion every ISR follower's log already holds the records (its fetch offset passed them).
                for id: Int32 in [2, 3] { #expect(cluster[id].log(tp)!.logEndOffset >= Offset(expectedBase)) }
                #expect(cluster[1].log(tp)!.highWatermark == Offset(expectedBase))
            }
            // Concurrent acks=all produces all complete with consecutive offsets.
            let bases = try await withThrowingTaskGroup(of: Offset.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await cluster.produce(tp, to: 1, TestRecords.batch(count: 2, fill: UInt8(i))).baseOffset
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(bases.sorted() == stride(from: 30, to: 70, by: 2).map { Offset(Int64($0)) })
            try await eventually("followers' high watermarks") {
                [2, 3].allSatisfy { cluster[$0].log(tp)!.highWatermark == Offset(70) }
            }
            let leaderBytes = try cluster[1].bytes(tp)
            for id: Int32 in [2, 3] { #expect(try cluster[id].bytes(tp) == leaderBytes) }
            #expect(cluster[1].snapshot(tp)?.isr == [BrokerID(1), BrokerID(2), BrokerID(3)])
        }
    }

    @Test func oldLeaderTruncatesItsDivergentTailToTheNewLeadersEpochEnd() async throws {
        try await ReplicationCluster.with([1, 2]) { cluster in
            cluster.createPartition(tp, replicas: [1, 2])
            for i in 0..<2 { _ = try await cluster.produce(tp, to: 1, TestRecords.batch(count: 3, fill: UInt8(i))) }
            // Broker 2 is elected (epoch 1) while broker 1, cut off from the controller, still thinks it leads epoch 0.
            cluster.elect(tp, leader: 2, isr: [2, 1], to: [2])
            let stale = try await cluster.produce(tp, to: 1, acks: 1, TestRecords.batch(count: 4, fill: 0xA0))
            #expect(stale.error == .noError && stale.baseOffset == Offset(6))
            _ = try await cluster.produce(tp, to: 1, acks: 1, TestRecords.batch(count: 2, fill: 0xA1))
            #expect(cluster[1].log(tp)!.logEndOffset == Offset(12))
            #expect(cluster[1].log(tp)!.highWatermark == Offset(6))  // never committed
            let fresh = try await cluster.produce(tp, to: 2, acks: 1, TestRecords.batch(count: 1, fill: 0xB0))
            #expect(fresh.baseOffset == Offset(6))
            // The old leader learns it follows now: it truncates to the end of epoch 0 on the new leader (6), not to its
            // HW, then fetches the new leader's records.
            cluster.send(tp, to: [1])
            try await eventually("the old leader to converge") {
                cluster[1].log(tp)!.logEndOffset == Offset(7) && cluster[2].log(tp)!.highWatermark == Offset(7)
                    && cluster[1].log(tp)!.highWatermark == Offset(7)
            }
            #expect(try cluster[1].bytes(tp) == cluster[2].bytes(tp))
            #expect(
                cluster[1].log(tp)!.leaderEpochCache.entries == [
                    .init(epoch: LeaderEpoch(0), startOffset: .zero),
                    .init(epoch: LeaderEpoch(1), startOffset: Offset(6)),
                ])
            let acked = try await cluster.produce(tp, to: 2, TestRecords.batch(count: 2))
            #expect(acked.error == .noError && acked.baseOffset == Offset(7))
        }
    }

    @Test func acksAllIsRefusedBelowMinInsyncReplicasAndAcceptedOnceTheFollowerJoins() async throws {
        try await ReplicationCluster.with([1, 2]) { cluster in
            cluster.minIsr.withLock { $0[tp.topic] = 2 }
            cluster.createPartition(tp, replicas: [1, 2], isr: [1], to: [1])
            let refused = try await cluster.produce(tp, to: 1, TestRecords.batch())
            #expect(refused.error == .notEnoughReplicas)
            #expect(cluster[1].log(tp)!.logEndOffset == .zero)  // nothing written
            let acksOne = try await cluster.produce(tp, to: 1, acks: 1, TestRecords.batch())
            #expect(acksOne.error == .noError)
            #expect(cluster[1].log(tp)!.highWatermark == .zero)  // under min ISR the HW stays put
            // The follower starts: it catches up, the leader proposes it, the controller commits the ISR.
            cluster.send(tp, to: [2])
            try await eventually("the ISR to grow") { cluster.controller[tp]?.isr == [BrokerID(1), BrokerID(2)] }
            try await eventually("the leader to commit the ISR") {
                cluster[1].snapshot(tp)?.isr == [BrokerID(1), BrokerID(2)]
            }
            let accepted = try await cluster.produce(tp, to: 1, TestRecords.batch())
            #expect(accepted.error == .noError && accepted.baseOffset == Offset(3))
            #expect(cluster[1].log(tp)!.highWatermark == Offset(6))
        }
    }

    @Test func acksAllTimesOutWhenAnIsrFollowerDoesNotFetch() async throws {
        try await ReplicationCluster.with([1, 2], configure: { $0.replicaLagTimeMaxMs = 30_000 }) { cluster in
            cluster.createPartition(tp, replicas: [1, 2], to: [1])
            let started = ContinuousClock.now
            let result = try await cluster.produce(tp, to: 1, timeoutMs: 300, TestRecords.batch())
            #expect(result.error == .requestTimedOut)
            #expect(ContinuousClock.now - started >= .milliseconds(290))
            #expect(cluster[1].log(tp)!.logEndOffset == Offset(3))  // written locally, never committed
            #expect(cluster[1].log(tp)!.highWatermark == .zero)
        }
    }

    @Test func fencedBrokerRefusesToAppend() async throws {
        try await ReplicationCluster.with([1]) { cluster in
            cluster.createPartition(tp, replicas: [1])
            cluster[1].fenced.isSet = true
            let result = try await cluster.produce(tp, to: 1, acks: 1, TestRecords.batch())
            #expect(result.error == .notLeaderOrFollower)
            #expect(cluster[1].log(tp)!.logEndOffset == .zero)
            cluster[1].fenced.isSet = false
            #expect(try await cluster.produce(tp, to: 1, acks: 1, TestRecords.batch()).error == .noError)
        }
    }

    @Test func followerThatStopsFetchingLeavesTheIsrAndRejoinsWhenItReturns() async throws {
        try await ReplicationCluster.with([1, 2, 3]) { cluster in
            cluster.createPartition(tp, replicas: [1, 2, 3])
            _ = try await cluster.produce(tp, to: 1, TestRecords.batch())
            try await cluster.stopBroker(BrokerID(3))
            let stoppedAt = ContinuousClock.now
            // Records keep coming while broker 3 is away (acks=1: acks=all would wait for the ISR to shrink).
            _ = try await cluster.produce(tp, to: 1, acks: 1, TestRecords.batch())
            try await eventually("broker 3 to leave the ISR") {
                cluster.controller[tp]?.isr == [BrokerID(1), BrokerID(2)] && cluster[1].snapshot(tp)?.isr.count == 2
            }
            #expect(ContinuousClock.now - stoppedAt >= .milliseconds(500))  // not before the lag time (600 ms)
            let withoutThree = try await cluster.produce(tp, to: 1, TestRecords.batch())
            #expect(withoutThree.error == .noError)
            // Broker 3 restarts (new broker epoch), gets the current state, catches up and is added back.
            try await cluster.startBroker(BrokerID(3))
            cluster.send(tp, to: [3])
            try await eventually("broker 3 to rejoin the ISR") {
                cluster.controller[tp]?.isr == [BrokerID(1), BrokerID(2), BrokerID(3)]
                    && cluster[1].snapshot(tp)?.isr.count == 3
            }
            _ = try await cluster.produce(tp, to: 1, TestRecords.batch())
            #expect(try cluster[3].bytes(tp) == cluster[1].bytes(tp))
        }
    }

    @Test func idempotentRetriesAreDeduplicatedAcrossALeaderChange() async throws {
        try await ReplicationCluster.with([1, 2]) { cluster in
            cluster.createPartition(tp, replicas: [1, 2])
            let pid = ProducerID(4242)
            func batch(_ seq: Int32, count: Int = 3, epoch: Int16 = 0) -> ByteBuffer {
                TestRecords.batch(count: count, producerID: pid, producerEpoch: ProducerEpoch(epoch), baseSequence: seq)
            }
            #expect(try await cluster.produce(tp, to: 1, batch(0)).baseOffset == Offset(0))
            #expect(try await cluster.produce(tp, to: 1, batch(3)).baseOffset == Offset(3))
            // A retry on the same leader is answered with the original offset and not written again.
            let retry = try await cluster.produce(tp, to: 1, batch(3))
            #expect(retry.error == .noError && retry.baseOffset == Offset(3))
            #expect(cluster[1].log(tp)!.logEndOffset == Offset(6))
            // Failover: broker 2 leads; the producer retries its last batch there.
            cluster.elect(tp, leader: 2)
            let afterFailover = try await cluster.produce(tp, to: 2, batch(3))
            #expect(afterFailover.error == .noError && afterFailover.baseOffset == Offset(3))
            #expect(cluster[2].log(tp)!.logEndOffset == Offset(6))
            #expect(try await cluster.produce(tp, to: 2, batch(6)).baseOffset == Offset(6))
            #expect(try await cluster.produce(tp, to: 2, batch(10)).error == .outOfOrderSequenceNumber)
            #expect(try await cluster.produce(tp, to: 2, batch(0, epoch: 1)).error == .noError)
            #expect(try await cluster.produce(tp, to: 2, batch(3, epoch: 0)).error == .invalidProducerEpoch)
            try await eventually("the follower to catch up") { cluster[1].log(tp)!.highWatermark == Offset(12) }
            #expect(try cluster[1].bytes(tp) == cluster[2].bytes(tp))
        }
    }

    @Test func consumerFetchWaitsForTheHighWatermarkAndListOffsetsFollowsIt() async throws {
        try await ReplicationCluster.with([1, 2]) { cluster in
            cluster.createPartition(tp, replicas: [1, 2])
            _ = try await cluster.produce(tp, to: 1, TestRecords.batch(count: 3, timestamp: 1_000))
            let manager = cluster[1].manager
            let request = ConsumerFetchRequest(
                maxWaitMs: 5_000, minBytes: 1, maxBytes: 1 << 20, isolationCommitted: false,
                partitions: [
                    .init(
                        topicPartition: tp, fetchOffset: Offset(3), currentLeaderEpoch: LeaderEpoch(0),
                        partitionMaxBytes: 1 << 20)
                ])
            let pending = manager.fetch(request, eventLoop: cluster.group.next())
            try await Task.sleep(for: .milliseconds(50))
            _ = try await cluster.produce(tp, to: 1, TestRecords.batch(count: 2, timestamp: 2_000))
            let results = try await pending.get()
            #expect(results[0].error == .noError && results[0].highWatermark == Offset(5))
            #expect(results[0].records?.firstBatchBaseOffset == Offset(3))
            // Offsets outside the log and stale epochs.
            let outside = try await manager.fetch(
                ConsumerFetchRequest(
                    maxWaitMs: 0, minBytes: 1, maxBytes: 100, isolationCommitted: true,
                    partitions: [.init(topicPartition: tp, fetchOffset: Offset(99), partitionMaxBytes: 100)]),
                eventLoop: cluster.group.next()
            ).get()
            #expect(outside[0].error == .offsetOutOfRange)
            #expect(
                manager.listOffset(tp, timestamp: -1, currentLeaderEpoch: nil, isolationCommitted: false).offset
                    == Offset(5))
            #expect(
                manager.listOffset(tp, timestamp: -2, currentLeaderEpoch: nil, isolationCommitted: false).offset
                    == .zero)
            let byTime = manager.listOffset(tp, timestamp: 1_001, currentLeaderEpoch: nil, isolationCommitted: false)
            #expect(byTime.offset == Offset(1) && byTime.timestamp == TimestampMs(1_001))
            #expect(
                manager.listOffset(tp, timestamp: 9_999, currentLeaderEpoch: nil, isolationCommitted: false).offset
                    == .none)
            #expect(
                manager.listOffset(tp, timestamp: -3, currentLeaderEpoch: nil, isolationCommitted: false).offset
                    == Offset(4))
            #expect(
                manager.listOffset(tp, timestamp: -1, currentLeaderEpoch: LeaderEpoch(3), isolationCommitted: false)
                    .error == .unknownLeaderEpoch)
            #expect(
                cluster[2].manager.listOffset(tp, timestamp: -1, currentLeaderEpoch: nil, isolationCommitted: false)
                    .error == .notLeaderOrFollower)
            let epochEnd = manager.offsetForLeaderEpoch(tp, epoch: LeaderEpoch(0), currentLeaderEpoch: LeaderEpoch(0))
            #expect(epochEnd.error == .noError && epochEnd.endOffset == Offset(5))
            // DeleteRecords moves the log start on the leader and, through fetches, on the follower.
            let deleted = manager.deleteRecords(tp, beforeOffset: Offset(3))
            #expect(deleted.0 == .noError && deleted.lowWatermark == Offset(3))
            #expect(manager.deleteRecords(tp, beforeOffset: Offset(50)).0 == .offsetOutOfRange)
            _ = try await cluster.produce(tp, to: 1, TestRecords.batch())
            try await eventually("the follower's log start offset") { cluster[2].log(tp)!.logStartOffset == Offset(3) }
        }
    }
}
