import Dispatch
import FjordModel
import Foundation
import KafkaWire
import NIOCore
import Synchronization
import Testing

@testable import FjordStorage

@Suite struct ConcurrencyTests {
    /// One writer appends (rolling small segments), a flusher flushes, a retention thread deletes old segments, and
    /// three readers fetch from random offsets, for a bounded time. Every read must return whole, valid batches
    /// with increasing offsets starting at the batch holding the requested offset.
    @Test(.timeLimit(.minutes(1))) func oneWriterManyReaders() throws {
        let dir = TemporaryDirectory()
        var config = TestLog.config(segmentBytes: 20_000, indexIntervalBytes: 512)
        config.retentionBytes = 40_000
        config.retentionMs = -1
        let log = try TestLog.open(dir, config: config)
        let stop = Atomic<Bool>(false)
        let reads = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        let deadline = Date().addingTimeInterval(1.5)

        func spawn(_ body: @escaping @Sendable () throws -> Void) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do { try body() } catch { failures.withLock { $0.append("\(error)") } }
            }
        }

        spawn {
            var i = 0
            while Date() < deadline {
                var batch = TestBatch.make(records: 1 + i % 7, valueBytes: 20 + (i * 13) % 400, fill: UInt8(i % 256))
                let info = try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(Int32(i / 5_000)))
                log.updateHighWatermark(info.logEndOffset)
                i += 1
            }
            stop.store(true, ordering: .releasing)
        }
        spawn {
            while !stop.load(ordering: .acquiring) { try log.flush() }
        }
        spawn {
            while !stop.load(ordering: .acquiring) { try log.deleteOldSegments() }
        }
        for seed in 1...3 {
            spawn {
                var generator = SplitMix(seed: UInt64(seed))
                while !stop.load(ordering: .acquiring) {
                    let start = log.logStartOffset
                    let end = log.logEndOffset
                    guard end > start else { continue }
                    let offset = start + Int64(generator.next() % UInt64(end - start))
                    let maxBytes = Int(generator.next() % 20_000)
                    let result: LogReadResult
                    do throws(LogError) {
                        result = try log.read(from: offset, maxBytes: maxBytes, minOneBatch: true)
                    } catch {
                        if error.code == .offsetOutOfRange && offset < log.logStartOffset { continue }  // retention
                        throw error
                    }
                    let headers = try TestBatch.headers(try result.readBytes())
                    guard let first = headers.first else {
                        failures.withLock { $0.append("empty read at \(offset) below \(end)") }
                        continue
                    }
                    if !(first.baseOffset <= offset && offset <= first.lastOffset) {
                        failures.withLock { $0.append("read at \(offset) started at batch \(first.baseOffset)") }
                    }
                    if headers.count > 1 && result.lengthBytes > maxBytes {
                        failures.withLock { $0.append("read of \(result.lengthBytes) bytes over \(maxBytes)") }
                    }
                    for (a, b) in zip(headers, headers.dropFirst()) where b.baseOffset != a.nextOffset {
                        failures.withLock { $0.append("gap between \(a.lastOffset) and \(b.baseOffset)") }
                    }
                    reads.add(1, ordering: .relaxed)
                }
            }
        }
        group.wait()
        let recorded = failures.withLock { $0 }
        #expect(recorded == [])
        #expect(reads.load(ordering: .relaxed) > 100)
        #expect(log.segmentBaseOffsets.count > 1)
        #expect(log.logStartOffset > .zero, "end \(log.logEndOffset), \(log.sizeBytes) bytes")
        // After it all, the log reopens to the same content.
        let (headers, bytes) = try TestLog.readAll(log)
        try log.flush()
        try log.close()
        let reopened = try TestLog.open(
            dir, config: config, recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset, clean: true)
        #expect(try TestLog.readAll(reopened).bytes == bytes)
        #expect(headers.last?.nextOffset == reopened.logEndOffset)
    }
}
