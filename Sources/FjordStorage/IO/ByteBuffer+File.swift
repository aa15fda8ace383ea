import NIOCore

extension ByteBuffer {
    /// Appends up to `count` bytes read from `file` at `position`; returns how many were read (fewer at end of file).
    mutating func writeFromFile(_ file: LogFileHandle, at position: Int, count: Int) throws(LogError) -> Int {
        var failure: LogError?
        let read = writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            do throws(LogError) {
                return try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[..<count]), at: position)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return read
    }
}

extension LogFileHandle {
    /// Writes the readable bytes of `buffer` at `position` (one `pwrite` unless the kernel writes short).
    func write(_ buffer: ByteBuffer, at position: Int) throws(LogError) {
        var failure: LogError?
        buffer.withUnsafeReadableBytes { raw in
            do throws(LogError) { try self.write(raw, at: position) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads `count` bytes at `position` into a new buffer.
    func readBuffer(at position: Int, count: Int) throws(LogError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let read = try buffer.writeFromFile(self, at: position, count: count)
        guard read == count else {
            throw LogError(.storage, "\(path): expected \(count) bytes at \(position), the file ends after \(read)")
        }
        return buffer
    }
}

extension LogFileHandle {
    /// Reads up to `bytes.count` bytes at `position` into `bytes`; returns how many were read.
    func read(into bytes: inout [UInt8], at position: Int) throws(LogError) -> Int {
        var outcome: Result<Int, LogError> = .success(0)
        bytes.withUnsafeMutableBytes { raw in
            outcome = Result { () throws(LogError) -> Int in try self.read(into: raw, at: position) }
        }
        return try outcome.get()
    }

    /// Writes all of `bytes` at `position`.
    func write(_ bytes: [UInt8], at position: Int) throws(LogError) {
        var outcome: Result<Void, LogError> = .success(())
        bytes.withUnsafeBytes { raw in
            outcome = Result { () throws(LogError) in try self.write(raw, at: position) }
        }
        try outcome.get()
    }
}
