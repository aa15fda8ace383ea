import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where log lines go: standard error, an append-only file, or memory (tests).
///
/// Every line is written whole by `write(2)` calls made under one lock, so lines from concurrent tasks never
/// interleave and appear in the order their writers took the lock. The lock is held for the system call only;
/// formatting happens before. Thread-safe (`Mutex`).
public final class LogSink: Sendable {
    private enum Target {
        case descriptor(Int32, path: String?)
        case memory([String])
    }

    private let target: Mutex<Target>

    private init(_ target: Target) { self.target = Mutex(target) }

    /// File descriptor 2.
    public static let standardError = LogSink(.descriptor(2, path: nil))

    /// Appends to `path`, creating it (mode 0644) if missing.
    public static func file(_ path: String) throws(LogSinkError) -> LogSink {
        LogSink(.descriptor(try openAppend(path), path: path))
    }

    /// Collects lines in memory; read them with ``lines``.
    public static func memory() -> LogSink { LogSink(.memory([])) }

    /// The lines a memory sink collected, without their newline.
    public var lines: [String] {
        target.withLock {
            if case .memory(let lines) = $0 { return lines }
            return []
        }
    }

    /// Writes one complete line; `line` must end with a newline and contain no other.
    public func write(line: [UInt8]) {
        target.withLock { target in
            switch target {
            case .descriptor(let fd, _):
                line.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 && errno == EINTR { continue }
                        if written <= 0 { return }  // nowhere to report a failing log sink; drop the line
                        offset += written
                    }
                }
            case .memory(var lines):
                target = .memory([])  // keep `lines` uniquely referenced while appending
                lines.append(String(decoding: line.dropLast(line.last == UInt8(ascii: "\n") ? 1 : 0), as: UTF8.self))
                target = .memory(lines)
            }
        }
    }

    /// Reopens a file sink at its path (after `logrotate` moved the file); other sinks ignore this.
    public func reopen() throws(LogSinkError) {
        try target.withLock { (target: inout Target) throws(LogSinkError) in
            guard case .descriptor(let old, let path?) = target else { return }
            let fd = try Self.openAppend(path)
            target = .descriptor(fd, path: path)
            close(old)
        }
    }

    private static func openAppend(_ path: String) throws(LogSinkError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LogSinkError(path: path, errno: errno) }
        return fd
    }

    deinit {
        target.withLock {
            if case .descriptor(let fd, _?) = $0 { close(fd) }
        }
    }
}

/// A log file could not be opened.
public struct LogSinkError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var errno: Int32

    public var description: String { "cannot open log file \(path): \(String(cString: strerror(errno)))" }
}

/// `write(2)` under a name that does not clash with ``LogSink/write(line:)``.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
