import ArgumentParser
import FjordModel
import KafkaWire
import NIOCore

/// `fjord-bench crc`: CRC-32C throughput on both paths, and the record batch build and decode rates.
struct CRCBenchCommand: BenchmarkCommand {
    static let configuration = CommandConfiguration(
        commandName: "crc", abstract: "CRC-32C GB/s and record batch build/decode records/s.")

    @OptionGroup var options: BenchOptions

    func runBenchmark() {
        runCRCBenchmark(quick: options.quick)
    }
}

/// Runs the CRC-32C and record batch benchmarks and prints their tables.
func runCRCBenchmark(quick: Bool) {
    let runs = quick ? 3 : 9
    benchmarkCRC32C(runs: runs, quick: quick)
    print()
    benchmarkRecordBatches(runs: runs, quick: quick)
}

/// The median of `runs` timings of `body`, in seconds.
private func medianSeconds(runs: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<runs {
        let elapsed = clock.measure(body)
        samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    samples.sort()
    return samples[samples.count / 2]
}

/// Keeps results alive so the optimizer cannot drop the work that produced them.
private nonisolated(unsafe) var blackHole: UInt64 = 0

private func benchmarkCRC32C(runs: Int, quick: Bool) {
    print("CRC-32C (hardware path available: \(CRC32C.isHardwareAccelerated)), median of \(runs) runs")
    print(pad("buffer", 10) + pad("path", 10) + pad("GB/s", 8, right: true))
    var generator = SystemRandomNumberGenerator()
    for bufferBytes in [16 << 10, 1 << 20] {
        let data = (0..<bufferBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for hardware in [true, false] {
            // About 256 MiB per run on the hardware path, 64 MiB on the software path (a quarter when quick).
            let totalBytes = (hardware ? 256 << 20 : 64 << 20) / (quick ? 4 : 1)
            let iterations = max(1, totalBytes / bufferBytes)
            let seconds = data.withUnsafeBytes { raw in
                medianSeconds(runs: runs) {
                    var crc: UInt32 = 0
                    for _ in 0..<iterations {
                        crc ^= hardware ? CRC32C.checksum(raw) : CRC32C.softwareChecksum(raw)
                    }
                    blackHole &+= UInt64(crc)
                }
            }
            let gigabytesPerSecond = Double(iterations * bufferBytes) / seconds / 1e9
            let label = bufferBytes >= 1 << 20 ? "\(bufferBytes >> 20) MiB" : "\(bufferBytes >> 10) KiB"
            print(
                pad(label, 10) + pad(hardware ? "hardware" : "software", 10)
                    + pad(format(gigabytesPerSecond, 2), 8, right: true))
        }
    }
}

private func benchmarkRecordBatches(runs: Int, quick: Bool) {
    let recordsPerBatch = 1000
    let valueBytes = 1024
    let batches = quick ? 10 : 50
    // Text-like values: compressible, as most real payloads are.
    let words = ["fjord", "kafka", "record", "batch", "offset", "epoch", "leader", "replica", "segment", "index"]
    var generator = SystemRandomNumberGenerator()
    let values: [ByteBuffer] = (0..<64).map { _ in
        var text = ""
        while text.utf8.count < valueBytes { text += words.randomElement(using: &generator)! + " " }
        return ByteBuffer(bytes: Array(text.utf8.prefix(valueBytes)))
    }
    let keys = (0..<recordsPerBatch).map { ByteBuffer(string: "key-\($0)") }
    print("Record batches: \(recordsPerBatch) records of \(valueBytes)-byte values per batch, median of \(runs) runs")
    print(
        pad("codec", 8) + pad("batch bytes", 13, right: true) + pad("build rec/s", 14, right: true)
            + pad("decode rec/s", 14, right: true) + pad("decode MB/s", 13, right: true))
    for codec in CompressionCodec.allCases {
        let build = { () -> ByteBuffer in
            var builder = RecordBatchBuilder(
                compression: codec, initialCapacityBytes: recordsPerBatch * (valueBytes + 32))
            for i in 0..<recordsPerBatch {
                builder.append(
                    key: keys[i], value: values[i & 63], timestamp: TimestampMs(1_700_000_000_000 + Int64(i)))
            }
            return try! builder.build()
        }
        let sample = build()
        let buildSeconds = medianSeconds(runs: runs) {
            for _ in 0..<batches { blackHole &+= UInt64(build().readableBytes) }
        }
        let decodeSeconds = medianSeconds(runs: runs) {
            for _ in 0..<batches {
                let batch = try! RecordBatch(validating: sample)
                var records = try! batch.records()
                while let record = try! records.next() { blackHole &+= UInt64(record.value?.readableBytes ?? 0) }
            }
        }
        let recordCount = Double(recordsPerBatch * batches)
        let uncompressedMB = Double(recordsPerBatch * batches * valueBytes) / 1e6
        print(
            pad(codec.description, 8) + pad("\(sample.readableBytes)", 13, right: true)
                + pad(format(recordCount / buildSeconds, 0), 14, right: true)
                + pad(format(recordCount / decodeSeconds, 0), 14, right: true)
                + pad(format(uncompressedMB / decodeSeconds, 0), 13, right: true))
    }
}

private func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if decimals == 0 { return String(Int(rounded)) }
    let whole = Int(rounded)
    let fraction = Int(((rounded - Double(whole)) * scale).rounded())
    let digits = String(fraction)
    return "\(whole)." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
}

private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}
