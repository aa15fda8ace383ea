import FjordModel
import FjordStorage
import KafkaWire
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Page-cache append throughput of a partition log against a plain sequential `write` loop of the same bytes, in
/// the same directory, with the same write size (the batch size) and no fsync on either side.
public struct LogAppendBenchResult: Sendable, CustomStringConvertible {
    public var totalBytes: Int
    public var batchBytes: Int
    public var recordsPerBatch: Int
    public var batchCount: Int
    public var rounds: Int
    /// Seconds of each round, baseline and log append run back to back.
    public var logAppendSeconds: [Double]
    public var baselineSeconds: [Double]
    /// CPU seconds (user + system) of each round: steadier than wall time on a loaded machine.
    public var logAppendCPUSeconds: [Double]
    public var baselineCPUSeconds: [Double]

    /// Best round of each side.
    public var logAppendMBps: Double { Double(totalBytes) / 1e6 / logAppendSeconds.min()! }
    public var baselineMBps: Double { Double(totalBytes) / 1e6 / baselineSeconds.min()! }
    /// The median over rounds of log append throughput as a fraction of the baseline's in the same round (paired,
    /// so load from other processes affects both sides alike). Target: at least 0.8.
    public var ratio: Double {
        let ratios = zip(baselineSeconds, logAppendSeconds).map { $0 / $1 }.sorted()
        return ratios[ratios.count / 2]
    }

    /// The median over rounds of the baseline's CPU time as a fraction of the log append's for the same bytes.
    public var cpuRatio: Double {
        let ratios = zip(baselineCPUSeconds, logAppendCPUSeconds).map { $0 / $1 }.sorted()
        return ratios[ratios.count / 2]
    }

    public var description: String {
        func f(_ value: Double) -> String { String(Int((value * 10).rounded())).inserting(decimalPoint: 1) }
        return "log append: \(batchCount) batches of \(batchBytes) bytes (\(recordsPerBatch) records), "
            + "\(totalBytes >> 20) MiB, best of \(rounds): \(f(logAppendMBps)) MB/s; "
            + "plain write baseline: \(f(baselineMBps)) MB/s; median paired ratio \(Int((ratio * 100).rounded()))% "
            + "(CPU time ratio \(Int((cpuRatio * 100).rounded()))%)"
    }
}

extension String {
    fileprivate func inserting(decimalPoint digits: Int) -> String {
        let padded = count <= digits ? String(repeating: "0", count: digits + 1 - count) + self : self
        return String(padded.dropLast(digits)) + "." + String(padded.suffix(digits))
    }
}

/// Runs the log append benchmark in `directory` (which should be on the disk under test).
///
/// Each round writes `totalBytes` twice: once with `write(2)` of one batch-sized buffer in a loop into a plain file,
/// once as leader appends of a valid v2 batch (`recordSize`-byte values, as many records as fit in `batchBytes`)
/// to a `PartitionLog` with default settings (1 GiB segments), which validates each batch's CRC, patches its offset
/// and epoch, indexes it and writes it with one `pwrite`. Files are deleted after each run, so neither side inherits
/// the other's dirty pages. Five rounds; see ``LogAppendBenchResult`` for what is reported.
func runLogAppendBenchmark(directory: String, totalBytes: Int, recordSize: Int, batchBytes: Int) throws
    -> LogAppendBenchResult
{
    let template = BenchBatch.make(recordSize: recordSize, batchBytes: batchBytes)
    let size = template.readableBytes
    let batchCount = max(1, totalBytes / size)
    let written = batchCount * size
    let rounds = 5
    var logSeconds: [Double] = []
    var baselineSeconds: [Double] = []
    var logCPU: [Double] = []
    var baselineCPU: [Double] = []
    try BenchFiles.createDirectory(directory)
    for round in 0..<rounds {
        let baselinePath = "\(directory)/baseline-\(round).bin"
        var cpu = BenchFiles.cpuSeconds()
        baselineSeconds.append(try BenchFiles.plainWrite(path: baselinePath, buffer: template, count: batchCount))
        baselineCPU.append(BenchFiles.cpuSeconds() - cpu)
        try BenchFiles.remove(baselinePath)

        let logDirectory = "\(directory)/bench-\(round)"
        let log = try PartitionLog.open(
            directory: logDirectory, topicPartition: TopicPartition(topic: "bench", partition: Int32(round)))
        var batch = template
        cpu = BenchFiles.cpuSeconds()
        let start = MonotonicClock.nowNs()
        for _ in 0..<batchCount {
            try log.appendAsLeader(&batch, leaderEpoch: LeaderEpoch(0))
        }
        logSeconds.append(Double(MonotonicClock.nowNs() - start) / 1e9)
        logCPU.append(BenchFiles.cpuSeconds() - cpu)
        precondition(log.logEndOffset == Offset(Int64(batchCount * BenchBatch.records(recordSize, batchBytes))))
        try log.close()
        try BenchFiles.removeTree(logDirectory)
    }
    return LogAppendBenchResult(
        totalBytes: written, batchBytes: size, recordsPerBatch: BenchBatch.records(recordSize, batchBytes),
        batchCount: batchCount, rounds: rounds, logAppendSeconds: logSeconds, baselineSeconds: baselineSeconds,
        logAppendCPUSeconds: logCPU, baselineCPUSeconds: baselineCPU)
}

/// A valid v2 record batch built without KafkaWire's record builder: uncompressed records with `recordSize`-byte
/// values (null keys, no headers) and a correct CRC-32C.
enum BenchBatch {
    static let recordOverheadBytes = 12

    static func records(_ recordSize: Int, _ batchBytes: Int) -> Int {
        max(1, (batchBytes - RecordBatchHeader.size) / (recordSize + recordOverheadBytes))
    }

    static func make(recordSize: Int, batchBytes: Int) -> ByteBuffer {
        let count = records(recordSize, batchBytes)
        var body = ByteBufferAllocator().buffer(capacity: count * (recordSize + recordOverheadBytes))
        var record = ByteBufferAllocator().buffer(capacity: recordSize + recordOverheadBytes)
        for i in 0..<count {
            record.clear()
            record.writeInteger(Int8(0))  // attributes
            writeVarint(&record, 0)  // timestamp delta
            writeVarint(&record, Int64(i))  // offset delta
            writeVarint(&record, -1)  // null key
            writeVarint(&record, Int64(recordSize))
            record.writeRepeatingByte(UInt8(truncatingIfNeeded: 0x41 + i), count: recordSize)
            writeVarint(&record, 0)  // headers
            writeVarint(&body, Int64(record.readableBytes))
            body.writeImmutableBuffer(record)
        }
        var batch = ByteBufferAllocator().buffer(capacity: RecordBatchHeader.size + body.readableBytes)
        batch.writeInteger(Int64(0))  // base offset
        batch.writeInteger(Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + body.readableBytes))
        batch.writeInteger(Int32(0))  // partition leader epoch
        batch.writeInteger(Int8(2))  // magic
        batch.writeInteger(UInt32(0))  // crc, below
        batch.writeInteger(Int16(0))  // attributes
        batch.writeInteger(Int32(count - 1))  // last offset delta
        let now = TimestampMs.now().rawValue
        batch.writeInteger(now)  // base timestamp
        batch.writeInteger(now)  // max timestamp
        batch.writeInteger(Int64(-1))  // producer id
        batch.writeInteger(Int16(-1))  // producer epoch
        batch.writeInteger(Int32(-1))  // base sequence
        batch.writeInteger(Int32(count))
        batch.writeImmutableBuffer(body)
        let crc = batch.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.Position.attributes...]))
        }
        batch.setInteger(crc, at: RecordBatchHeader.Position.crc)
        return batch
    }

    private static func writeVarint(_ buffer: inout ByteBuffer, _ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            buffer.writeInteger(UInt8(v & 0x7F | 0x80))
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }
}

/// The baseline and the file chores of the benchmark, on plain POSIX calls.
enum BenchFiles {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `buffer` `count` times with `write(2)`; returns the seconds taken (open and close excluded).
    static func plainWrite(path: String, buffer: ByteBuffer, count: Int) throws -> Double {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        return try buffer.withUnsafeReadableBytes { raw in
            let start = MonotonicClock.nowNs()
            for _ in 0..<count {
                var done = 0
                while done < raw.count {
                    let n = write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw Failure(description: "write \(path): errno \(errno)")
                    }
                    done += n
                }
            }
            return Double(MonotonicClock.nowNs() - start) / 1e9
        }
    }

    /// User plus system CPU time of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func createDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw Failure(description: "mkdir \(path): errno \(errno)") }
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw Failure(description: "unlink \(path): errno \(errno)") }
    }

    static func removeTree(_ path: String) throws {
        guard let dir = opendir(path) else { return }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names { try remove("\(path)/\(name)") }
        if rmdir(path) != 0 && errno != ENOENT { throw Failure(description: "rmdir \(path): errno \(errno)") }
    }
}

/// The `log-append` subcommand's entry point: 1 GiB (128 MiB with `quick`) of 1 KiB records in 16 KiB batches, in
/// `bench/tmp/log-append` under the current directory (or `$FJORD_BENCH_DIR`), printed as a small table.
func runLogAppendBenchmark(quick: Bool) async throws {
    let directory = getenv("FJORD_BENCH_DIR").map { String(cString: $0) } ?? "bench/tmp/log-append"
    try BenchFiles.createDirectories(directory)
    let result = try runLogAppendBenchmark(
        directory: directory, totalBytes: (quick ? 128 : 1024) << 20, recordSize: 1024, batchBytes: 16 << 10)
    print("log append (FjordStorage.PartitionLog.appendAsLeader) vs plain write(2), page cache, no fsync")
    print("round   baseline MB/s   log append MB/s   ratio   CPU ms baseline  CPU ms log")
    for round in 0..<result.rounds {
        let mb = Double(result.totalBytes) / 1e6
        let baseline = result.baselineSeconds[round]
        let log = result.logAppendSeconds[round]
        print(
            "\(round + 1)".padding(8) + String(Int(mb / baseline)).padding(16) + String(Int(mb / log)).padding(18)
                + "\(Int((baseline / log * 100).rounded()))%".padding(8)
                + String(Int(result.baselineCPUSeconds[round] * 1000)).padding(17)
                + String(Int(result.logAppendCPUSeconds[round] * 1000)))
    }
    print(result)
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

extension BenchFiles {
    /// `mkdir -p`.
    static func createDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            try createDirectory(prefix)
        }
    }
}
