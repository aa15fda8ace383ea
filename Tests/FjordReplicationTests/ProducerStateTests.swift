import FjordModel
import FjordStorage
import KafkaWire
import NIOCore
import Testing

/// The idempotent-producer rules of `ProducerStateTable` (FjordStorage/Producer).
@Suite struct ProducerStateTests {
    func header(
        pid: Int64, epoch: Int16 = 0, seq: Int32, count: Int32 = 1, base: Int64 = 0, control: Bool = false
    ) -> RecordBatchHeader {
        RecordBatchHeader(
            baseOffset: Offset(base), batchLength: 100, partitionLeaderEpoch: LeaderEpoch(0), crc: 0,
            attributes: RecordBatchAttributes(control: control), lastOffsetDelta: count - 1,
            baseTimestamp: TimestampMs(1_000), maxTimestamp: TimestampMs(1_000 + Int64(seq)),
            producerId: ProducerID(pid),
            producerEpoch: ProducerEpoch(epoch), baseSequence: seq, recordCount: count)
    }

    func check(_ table: ProducerStateTable, _ headers: [RecordBatchHeader]) -> Result<
        ProducerStateTable.AppendCheck, ProducerStateError
    > {
        Result { () throws(ProducerStateError) in try table.checkLeaderAppend(headers) }
    }

    @Test func unknownProducerIsAcceptedWhateverItsSequence() {
        let table = ProducerStateTable()
        #expect(check(table, [header(pid: 7, epoch: 3, seq: 42)]) == .success(.append))
    }

    @Test func nextSequenceAppendsAndGapIsOutOfOrder() {
        var table = ProducerStateTable()
        table.record(header(pid: 7, seq: 0, count: 5), baseOffset: Offset(10))
        #expect(check(table, [header(pid: 7, seq: 5, count: 2)]) == .success(.append))
        let gap = check(table, [header(pid: 7, seq: 6)])
        #expect(gap.failureCode == .outOfOrderSequence)
        #expect(ProducerStateError(.outOfOrderSequence, "").kafkaErrorCode == 45)
    }

    @Test func duplicateOfOneOfTheLastFiveBatchesIsAnsweredWithTheOriginalOffsets() {
        var table = ProducerStateTable()
        var offset: Int64 = 100
        for i in 0..<7 {
            table.record(header(pid: 7, seq: Int32(i * 2), count: 2), baseOffset: Offset(offset))
            offset += 2
        }
        // Batches 2...6 (seq 4...13) are remembered; batch 1 (seq 2-3) is not.
        guard case .success(.duplicate(let original)) = check(table, [header(pid: 7, seq: 8, count: 2)]) else {
            Issue.record("expected a duplicate")
            return
        }
        #expect(original.firstOffset == Offset(108) && original.lastOffset == Offset(109))
        #expect(check(table, [header(pid: 7, seq: 2, count: 2)]).failureCode == .outOfOrderSequence)
        // Same first sequence but another range is not a duplicate.
        #expect(check(table, [header(pid: 7, seq: 8, count: 1)]).failureCode == .outOfOrderSequence)
        #expect(table[ProducerID(7)]?.batches.count == 5)
    }

    @Test func olderEpochIsFencedAndNewEpochMustStartAtZero() {
        var table = ProducerStateTable()
        table.record(header(pid: 7, epoch: 2, seq: 0, count: 3), baseOffset: .zero)
        #expect(check(table, [header(pid: 7, epoch: 1, seq: 3)]).failureCode == .invalidProducerEpoch)
        #expect(check(table, [header(pid: 7, epoch: 3, seq: 5)]).failureCode == .outOfOrderSequence)
        #expect(check(table, [header(pid: 7, epoch: 3, seq: 0)]) == .success(.append))
        // A duplicate must match the epoch too.
        #expect(check(table, [header(pid: 7, epoch: 3, seq: 0, count: 3)]) == .success(.append))
        table.record(header(pid: 7, epoch: 3, seq: 0), baseOffset: Offset(3))
        #expect(table[ProducerID(7)]?.epoch == ProducerEpoch(3) && table[ProducerID(7)]?.batches.count == 1)
    }

    @Test func sequencesWrapAtInt32Max() {
        var table = ProducerStateTable()
        table.record(header(pid: 7, seq: Int32.max - 1, count: 2), baseOffset: .zero)
        #expect(table[ProducerID(7)]?.lastSequence == Int32.max)
        #expect(check(table, [header(pid: 7, seq: 0, count: 3)]) == .success(.append))
        #expect(check(table, [header(pid: 7, seq: 1)]).failureCode == .outOfOrderSequence)
        // A batch spanning the wrap ends at a small sequence.
        let spanning = header(pid: 8, seq: Int32.max - 1, count: 4)
        #expect(spanning.lastSequence == 1)
        #expect(ProducerStateTable.inSequence(last: Int32.max, next: 0))
    }

    @Test func batchesOfOneAppendAreCheckedAgainstEachOther() {
        var table = ProducerStateTable()
        table.record(header(pid: 7, seq: 0, count: 2), baseOffset: .zero)
        #expect(check(table, [header(pid: 7, seq: 2, count: 2), header(pid: 7, seq: 4)]) == .success(.append))
        #expect(
            check(table, [header(pid: 7, seq: 2, count: 2), header(pid: 7, seq: 5)]).failureCode == .outOfOrderSequence)
        #expect(
            check(table, [header(pid: 9, seq: 0), header(pid: 7, seq: 0, count: 2)])
                == .success(.duplicate(table[ProducerID(7)]!.batches[0])))
    }

    @Test func nonIdempotentAndControlBatchesAreNotTracked() {
        var table = ProducerStateTable()
        table.record(header(pid: -1, seq: -1), baseOffset: .zero)
        table.record(header(pid: 7, seq: 0, control: true), baseOffset: .zero)
        #expect(table.count == 0)
        #expect(check(table, [header(pid: -1, seq: -1), header(pid: -1, seq: -1)]) == .success(.append))
    }

    @Test func rebuildReplaysTheLogInOrder() {
        var table = ProducerStateTable()
        table.rebuild(from: [
            header(pid: 7, seq: 0, count: 2, base: 0), header(pid: 8, seq: 0, base: 2),
            header(pid: 7, epoch: 1, seq: 0, base: 3), header(pid: 7, epoch: 1, seq: 1, count: 3, base: 4),
        ])
        #expect(table.count == 2)
        #expect(table[ProducerID(7)]?.epoch == ProducerEpoch(1))
        #expect(table[ProducerID(7)]?.batches.map(\.firstOffset) == [Offset(3), Offset(4)])
        #expect(table[ProducerID(7)]?.lastSequence == 3)
    }
}

extension Result where Failure == ProducerStateError {
    var failureCode: ProducerStateError.Code? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}
