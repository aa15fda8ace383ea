import FjordModel
import FjordReplication
import Foundation
import KafkaWire
import NIOCore
import Testing

/// Replication measurements, skipped unless `FJORD_REPLICATION_BENCH=1` (run them on a release build):
/// - catch-up throughput: a follower replicating a log the leader already holds, over loopback TCP;
/// - acks=all produce latency with two followers, one request at a time, then with 32 in flight.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FJORD_REPLICATION_BENCH"] == "1"))
struct ReplicationBench {
    let tp = TopicPartition(topic: "bench", partition: 0)
    var megabytes: Int { Int(ProcessInfo.processInfo.environment["FJORD_BENCH_MB"] ?? "") ?? 256 }

    @Test func followerCatchUpThroughput() async throws {
        try await ReplicationCluster.with([1, 2], configure: { $0.replicaLagTimeMaxMs = 60_000 }) { cluster in
            cluster.createPartition(tp, replicas: [1, 2], isr: [1], to: [1])
            let batch = TestRecords.batch(count: 64, valueBytes: 1_000)  // ~64 KiB batches
            let batches = megabytes * 1_048_576 / batch.readableBytes
            for _ in 0..<batches {
                let result = try await cluster.produce(tp, to: 1, acks: 1, batch)
                precondition(result.error == .noError)
            }
            let leaderEnd = cluster[1].log(tp)!.logEndOffset
            let bytes = cluster[1].log(tp)!.sizeBytes
            let start = ContinuousClock.now
            cluster.send(tp, to: [2])
            try await eventually("catch-up", timeoutMs: 600_000) { cluster[2].log(tp)!.logEndOffset == leaderEnd }
            let seconds = (ContinuousClock.now - start).seconds
            print(
                "replication catch-up: \(bytes / 1_048_576) MiB in \(String(format: "%.2f", seconds)) s = "
                    + "\(String(format: "%.0f", Double(bytes) / 1_048_576 / seconds)) MiB/s")
        }
    }

    @Test func acksAllLatency() async throws {
        try await ReplicationCluster.with([1, 2, 3]) { cluster in
            cluster.createPartition(tp, replicas: [1, 2, 3])
            let batch = TestRecords.batch(count: 10, valueBytes: 100)  // ~1 KiB
            for _ in 0..<200 { _ = try await cluster.produce(tp, to: 1, batch) }  // warm up
            var latenciesUs: [Double] = []
            for _ in 0..<2_000 {
                let start = ContinuousClock.now
                let result = try await cluster.produce(tp, to: 1, batch)
                latenciesUs.append((ContinuousClock.now - start).seconds * 1e6)
                precondition(result.error == .noError)
            }
            latenciesUs.sort()
            func pct(_ p: Double) -> String {
                String(format: "%.0f", latenciesUs[Int(Double(latenciesUs.count - 1) * p)])
            }
            print("acks=all latency, 1 in flight, RF 3: p50 \(pct(0.5)) µs, p99 \(pct(0.99)) µs, max \(pct(1)) µs")
            let inFlight = 32
            let perTask = 200
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<inFlight {
                    group.addTask {
                        for _ in 0..<perTask {
                            let result = try await cluster.produce(tp, to: 1, batch)
                            precondition(result.error == .noError)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seconds = (ContinuousClock.now - start).seconds
            let requests = Double(inFlight * perTask)
            print(
                "acks=all, \(inFlight) in flight, RF 3: \(String(format: "%.0f", requests / seconds)) requests/s, "
                    + "\(String(format: "%.1f", requests * Double(batch.readableBytes) / 1_048_576 / seconds)) MiB/s, "
                    + "mean \(String(format: "%.2f", seconds / requests * Double(inFlight) * 1_000)) ms")
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
