import ArgumentParser
import FjordModel
import FjordStorage
import KafkaWire
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `fjord-bench group-commit`: appends acknowledged only once on disk (`flush.messages=1`), with group commit
/// (``GroupCommitFlusher``) and concurrent writers, against one `fdatasync` per append.
struct GroupCommitBenchCommand: BenchmarkCommand {
    static let configuration = CommandConfiguration(
        commandName: "group-commit", abstract: "Durable appends/s: group commit vs one fdatasync per append.")

    @OptionGroup var options: BenchOptions

    func runBenchmark() async throws {
        try await runGroupCommitBenchmark(quick: options.quick)
    }
}

/// Each writer appends a 16 KiB batch (1 KiB records) to one shared log and waits until it is durable before its
/// next append, as a producer with one request in flight does. Baseline: the same with `syncData()` called by the
/// writer itself after every append (no sharing). Printed: appends/s, MB/s and appends per sync.
func runGroupCommitBenchmark(quick: Bool) async throws {
    let directory =
        (getenv("FJORD_BENCH_DIR").map { String(cString: $0) } ?? "bench/tmp/log-append") + "/group-commit"
    try BenchFiles.createDirectories(directory)
    let template = BenchBatch.make(recordSize: 1024, batchBytes: 16 << 10)
    let appendsPerWriter = quick ? 100 : 400
    var config = LogConfig()
    config.flushMessages = 1
    print("durable appends of \(template.readableBytes)-byte batches (flush.messages=1), one log")
    print("mode                  writers   appends/s      MB/s   appends per fdatasync")
    for (round, writers) in [1, 4, 16].enumerated() {
        for grouped in [false, true] {
            let logDirectory = "\(directory)/run-\(round)-\(grouped)"
            let log = try PartitionLog.open(
                directory: logDirectory,
                topicPartition: TopicPartition(topic: "bench", partition: Int32(round * 2 + (grouped ? 1 : 0))),
                config: config)
            let flusher = GroupCommitFlusher(threads: 1)
            let start = MonotonicClock.nowNs()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        for _ in 0..<appendsPerWriter {
                            let info = try log.appendAsLeader(template, leaderEpoch: LeaderEpoch(0))
                            if grouped {
                                let failed = await PartitionLog.waitUntilDurable(
                                    [(log, info.lastOffset + 1)], flusher: flusher)
                                if let error = failed.values.first { throw error }
                            } else {
                                try log.syncData()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seconds = Double(MonotonicClock.nowNs() - start) / 1e9
            let appends = writers * appendsPerWriter
            let syncs = grouped ? flusher.syncsCompleted : appends
            let mode = grouped ? "group commit" : "fdatasync per append"
            print(
                mode.rightPadded(22) + "\(writers)".leftPadded(7)
                    + "\(Int(Double(appends) / seconds))".leftPadded(12)
                    + "\(Int(Double(appends * template.readableBytes) / seconds / 1e6))".leftPadded(10)
                    + String(format1(Double(appends) / Double(max(1, syncs)))).leftPadded(24))
            try log.close()
            try BenchFiles.removeTree(logDirectory)
        }
    }
}

private func format1(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }

    fileprivate func rightPadded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
