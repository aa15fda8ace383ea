#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file descriptor of a segment or index file, closed when the last reference goes away.
///
/// Ownership: the descriptor is never closed explicitly. A segment holds its handles, and so does every
/// ``LogReadResult`` that points into the segment; deleting a segment (retention, truncation) only unlinks the
/// files, so a reader that still holds a result keeps a valid descriptor and reads the bytes it was promised until it
/// drops the result. `pread`/`pwrite` take explicit positions, so one descriptor serves any number of threads.
public final class LogFileHandle: Sendable, CustomStringConvertible {
    /// The POSIX descriptor. Valid as long as this object lives; do not close it.
    public let descriptor: CInt
    /// The path the file was opened at (it may have been renamed or unlinked since).
    public let path: String

    init(descriptor: CInt, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { _ = close(descriptor) }

    public var description: String { "LogFileHandle(\(descriptor), \(path))" }

    /// Opens (creating it if needed) `path` for reading and writing.
    static func openReadWrite(_ path: String, create: Bool = true) throws(LogError) -> LogFileHandle {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw .io("open", path: path, errno: errno) }
        return LogFileHandle(descriptor: fd, path: path)
    }

    /// The file's current size in bytes.
    func size() throws(LogError) -> Int {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw .io("fstat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    /// The file's last modification time in milliseconds since the epoch.
    func lastModifiedMs() throws(LogError) -> Int64 {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw .io("fstat", path: path, errno: errno) }
        #if canImport(Darwin)
            return Int64(st.st_mtimespec.tv_sec) * 1000 + Int64(st.st_mtimespec.tv_nsec) / 1_000_000
        #else
            return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
        #endif
    }

    /// Reads up to `buffer.count` bytes at `position`; returns fewer only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int) throws(LogError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(position + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("pread", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at `position`.
    func write(_ bytes: UnsafeRawBufferPointer, at position: Int) throws(LogError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(position + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("pwrite", path: path, errno: errno)
            }
            done += n
        }
    }

    /// Cuts (or extends with zeros) the file to `sizeBytes`.
    func truncate(to sizeBytes: Int) throws(LogError) {
        while ftruncate(descriptor, off_t(sizeBytes)) != 0 {
            if errno == EINTR { continue }
            throw .io("ftruncate", path: path, errno: errno)
        }
    }

    /// Forces the file's data (and the metadata needed to read it, such as its size) to stable storage. Blocks.
    func dataSync() throws(LogError) {
        #if canImport(Darwin)
            let rc = fsync(descriptor)
        #else
            let rc = fdatasync(descriptor)
        #endif
        guard rc == 0 else { throw .io("fdatasync", path: path, errno: errno) }
    }
}
