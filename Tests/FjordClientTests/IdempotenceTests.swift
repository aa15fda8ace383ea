import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

@testable import FjordClient

/// Idempotent-producer sequence bookkeeping: stamping, ordered retries, resets after a failover.
@Suite("idempotent sequences")
struct IdempotenceTests {
    typealias T = RecordAccumulatorTests
    let tp0 = TopicPartition(topic: "t", partition: 0)

    func idempotentAccumulator() -> RecordAccumulator {
        var acc = T.accumulator(linger: .zero, idempotent: true)
        acc.installIdentity(ProducerIdentity(producerId: ProducerID(42), epoch: ProducerEpoch(0)))
        return acc
    }

    @Test func nothingIsSentBeforeTheProducerHasAnId() {
        var acc = T.accumulator(linger: .zero, idempotent: true)
        _ = acc.append(T.record("a"), completion: .report(id: 1), nowNs: 0)
        let plan = acc.drain(nowNs: 1, leader: T.leaderOne, connected: T.connected)
        #expect(plan.needIdentity && plan.sends.isEmpty)
    }

    @Test func batchesAreStampedConsecutively() throws {
        var acc = idempotentAccumulator()
        var stamped: [(Int32, Int32)] = []
        for round in 0..<3 {
            for i in 0..<(round + 2) { _ = acc.append(T.record("r\(i)"), completion: .report(id: 0), nowNs: 0) }
            let batches = T.send(acc.drain(nowNs: 1, leader: T.leaderOne, connected: T.connected))
            for b in batches {
                let header = try RecordBatchHeader.validate(b.bytes, at: b.bytes.readerIndex)
                #expect(header.producerId == ProducerID(42))
                stamped.append((header.baseSequence, header.recordCount))
            }
            _ = acc.complete(broker: BrokerID(1), batches.map { ($0, T.answer(.noError)) }, nowNs: 2)
        }
        #expect(stamped.map(\.0) == [0, 2, 5])
        #expect(stamped.map(\.1) == [2, 3, 4])
    }

    /// Three batches in flight; the first fails (NOT_LEADER), the others get OUT_OF_ORDER from the broker. All are
    /// resent with their original sequences, strictly one after another in sequence order.
    @Test func retriesKeepSequencesAndGoOutInOrder() throws {
        var acc = idempotentAccumulator()
        var inFlight: [ReadyBatch] = []
        for i in 0..<3 {
            _ = acc.append(T.record("r\(i)"), completion: .report(id: UInt64(i)), nowNs: 0)
            inFlight += T.send(acc.drain(nowNs: 1, leader: T.leaderOne, connected: T.connected))
        }
        #expect(inFlight.map { $0.sequence!.baseSequence } == [0, 1, 2])
        _ = acc.complete(broker: BrokerID(1), [(inFlight[0], T.answer(.notLeaderOrFollower))], nowNs: 10)
        _ = acc.complete(broker: BrokerID(1), [(inFlight[1], T.answer(.outOfOrderSequenceNumber))], nowNs: 10)
        _ = acc.complete(broker: BrokerID(1), [(inFlight[2], T.answer(.outOfOrderSequenceNumber))], nowNs: 10)
        #expect(acc.sequences.canSend, "an out-of-order answer behind a failed batch needs no reset")
        var resent: [Int32] = []
        var now: UInt64 = 200 * T.ms
        for _ in 0..<6 {
            let batches = T.send(acc.drain(nowNs: now, leader: T.leaderOne, connected: T.connected))
            #expect(batches.count <= 1, "only the oldest unfinished batch of a partition is resent")
            for b in batches {
                let header = try RecordBatchHeader.validate(b.bytes, at: b.bytes.readerIndex)
                resent.append(header.baseSequence)
                _ = acc.complete(broker: BrokerID(1), [(b, T.answer(.noError))], nowNs: now)
            }
            now += 200 * T.ms
        }
        #expect(resent == [0, 1, 2])
        #expect(acc.isIdle)
    }

    /// After a failover to a replica without the producer's state, the batch right after the last acknowledged one
    /// gets OUT_OF_ORDER: a new producer id is needed, and the batch is re-stamped from sequence 0 under it.
    @Test func outOfOrderForTheNextExpectedBatchResetsTheIdentity() throws {
        var acc = idempotentAccumulator()
        _ = acc.append(T.record("a"), completion: .report(id: 1), nowNs: 0)
        let first = T.send(acc.drain(nowNs: 1, leader: T.leaderOne, connected: T.connected))
        _ = acc.complete(broker: BrokerID(1), first.map { ($0, T.answer(.noError)) }, nowNs: 2)
        _ = acc.append(T.record("b"), completion: .report(id: 2), nowNs: 3)
        let second = T.send(acc.drain(nowNs: 4, leader: T.leaderOne, connected: T.connected))
        #expect(second[0].sequence?.baseSequence == 1)
        _ = acc.complete(broker: BrokerID(1), second.map { ($0, T.answer(.outOfOrderSequenceNumber)) }, nowNs: 5)
        let blocked = acc.drain(nowNs: 500 * T.ms, leader: T.leaderOne, connected: T.connected)
        #expect(blocked.needIdentity && blocked.sends.isEmpty)
        acc.installIdentity(ProducerIdentity(producerId: ProducerID(43), epoch: ProducerEpoch(0)))
        let plan = acc.drain(nowNs: 600 * T.ms, leader: T.leaderOne, connected: T.connected)
        var batches = T.send(plan)
        #expect(batches.count == 1)
        ProducerStamp.restamp(
            &batches[0].bytes, identity: plan.identity!, baseSequence: batches[0].sequence!.baseSequence)
        let header = try RecordBatchHeader.validate(batches[0].bytes, at: batches[0].bytes.readerIndex)
        #expect(header.producerId == ProducerID(43))
        #expect(header.baseSequence == 0)
    }

    @Test func duplicateSequenceCountsAsSuccess() {
        var acc = idempotentAccumulator()
        _ = acc.append(T.record("a"), completion: .report(id: 1), nowNs: 0)
        let batches = T.send(acc.drain(nowNs: 1, leader: T.leaderOne, connected: T.connected))
        let outcome = acc.complete(
            broker: BrokerID(1), batches.map { ($0, T.answer(.duplicateSequenceNumber)) }, nowNs: 2)
        #expect(outcome.finished.first?.complete()?.error == nil)
    }

    @Test func abandoningAStampedBatchRequestsAReset() {
        var acc = idempotentAccumulator()
        _ = acc.append(T.record("a"), completion: .report(id: 1), nowNs: 0)
        let batches = T.send(acc.drain(nowNs: 1, leader: T.leaderOne, connected: T.connected))
        _ = acc.complete(broker: BrokerID(1), batches.map { ($0, T.answer(.messageTooLarge)) }, nowNs: 2)
        #expect(!acc.sequences.canSend)
    }

    @Test func sequencesWrapLikeKafka() {
        #expect(SequenceBook.advance(Int32.max, by: 1) == 0)
        #expect(SequenceBook.advance(Int32.max - 1, by: 5) == 3)
        #expect(SequenceBook.advance(-1, by: 1) == 0)
    }

    @Test func errorDecisions() {
        var book = SequenceBook()
        book.install(ProducerIdentity(producerId: ProducerID(1), epoch: ProducerEpoch(0)))
        #expect(book.decide(.noError, topicPartition: tp0, sequence: nil, idempotent: true) == .succeed)
        #expect(
            book.decide(.notLeaderOrFollower, topicPartition: tp0, sequence: nil, idempotent: true)
                == .retry(refreshMetadata: true))
        #expect(
            book.decide(.notEnoughReplicas, topicPartition: tp0, sequence: nil, idempotent: true)
                == .retry(refreshMetadata: false))
        #expect(book.decide(.invalidRecord, topicPartition: tp0, sequence: nil, idempotent: true) == .fail)
        #expect(
            book.decide(.unknownProducerId, topicPartition: tp0, sequence: nil, idempotent: true)
                == .retry(refreshMetadata: false))
        #expect(!book.canSend)
    }
}
