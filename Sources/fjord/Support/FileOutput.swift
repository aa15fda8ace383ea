import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to a file descriptor, and a buffer for high-volume output (consumed records).
enum FileOutput {
    static func write(_ string: String, to fd: Int32) {
        var string = string
        string.withUTF8 { writeAll($0, to: fd) }
    }

    static func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}

/// Collects output bytes and writes them to stdout in large chunks.
struct OutputBuffer {
    private var bytes: [UInt8] = []
    private let flushThreshold: Int

    init(flushThreshold: Int = 64 * 1024) {
        self.flushThreshold = flushThreshold
        bytes.reserveCapacity(flushThreshold + 4096)
    }

    mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
        if bytes.count >= flushThreshold { flush() }
    }

    mutating func append(bytes more: some Sequence<UInt8>) {
        bytes.append(contentsOf: more)
        if bytes.count >= flushThreshold { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { FileOutput.writeAll($0, to: 1) }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// An ``OutputBuffer`` shared by the consuming loop (appends) and a timer (flushes every 100 ms), so records reach
/// a pipe promptly even when no further record arrives to trigger a flush.
final class SharedOutput: Sendable {
    private let buffer = Mutex(OutputBuffer())

    func append(_ string: String) {
        buffer.withLock { $0.append(string) }
    }

    func flush() {
        buffer.withLock { $0.flush() }
    }

    /// Flushes every `intervalMs` until cancelled.
    func runPeriodicFlush(intervalMs: Int = 100) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(intervalMs))
            flush()
        }
    }
}
