import KafkaWire
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

extension LogFileHandle {
    /// Bytes at the start of a batch that a leader assigns: base offset (8), batch length (4, unchanged) and
    /// partition leader epoch (4). All lie outside the CRC.
    static let assignedHeaderBytes = 16

    /// Writes the whole batches in `records` at `position` with their base offsets and leader epochs replaced by
    /// those of `batches` (one summary per batch, in order, `sizeBytes` matching the buffer): each batch becomes
    /// two ranges of one gather write — its 16 assigned header bytes from a scratch buffer, and the rest from
    /// `records` — so the caller's buffer is neither modified nor copied.
    func write(_ records: ByteBuffer, at position: Int, assigningHeaders batches: [BatchSummary]) throws(LogError) {
        let prefix = Self.assignedHeaderBytes
        var failure: LogError?
        records.withUnsafeReadableBytes { raw in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, batches.count * prefix)) { scratch in
                withUnsafeTemporaryAllocation(of: iovec.self, capacity: max(1, batches.count * 2)) { vectors in
                    var cursor = 0
                    for (i, batch) in batches.enumerated() {
                        precondition(batch.sizeBytes >= prefix && cursor + batch.sizeBytes <= raw.count)
                        let header = UnsafeMutableRawPointer(scratch.baseAddress!) + i * prefix
                        header.storeBytes(of: UInt64(bitPattern: batch.baseOffset.rawValue).bigEndian, as: UInt64.self)
                        header.storeBytes(
                            of: UInt32(batch.sizeBytes - RecordBatchHeader.logOverhead).bigEndian, toByteOffset: 8,
                            as: UInt32.self)
                        header.storeBytes(
                            of: UInt32(bitPattern: batch.leaderEpoch.rawValue).bigEndian, toByteOffset: 12,
                            as: UInt32.self)
                        vectors[2 * i] = iovec(iov_base: header, iov_len: prefix)
                        vectors[2 * i + 1] = iovec(
                            iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + cursor + prefix),
                            iov_len: batch.sizeBytes - prefix)
                        cursor += batch.sizeBytes
                    }
                    precondition(cursor == raw.count, "batch summaries do not cover the buffer")
                    do throws(LogError) {
                        try writeVectors(
                            UnsafeMutableBufferPointer(rebasing: vectors[..<(batches.count * 2)]), at: position)
                    } catch {
                        failure = error
                    }
                }
            }
        }
        if let failure { throw failure }
    }

    /// `pwritev` of every range in `vectors` (at most `IOV_MAX` per call), resuming after short writes. The
    /// vectors are consumed (advanced) as they are written.
    private func writeVectors(_ vectors: UnsafeMutableBufferPointer<iovec>, at position: Int) throws(LogError) {
        let maxPerCall = 1024  // IOV_MAX on Linux
        var index = 0
        var offset = position
        while index < vectors.count {
            if vectors[index].iov_len == 0 {
                index += 1
                continue
            }
            let count = min(vectors.count - index, maxPerCall)
            let written = pwritev(descriptor, vectors.baseAddress! + index, Int32(count), off_t(offset))
            if written < 0 {
                if errno == EINTR { continue }
                throw .io("pwritev", path: path, errno: errno)
            }
            guard written > 0 else { throw LogError(.storage, "\(path): pwritev wrote nothing at \(offset)") }
            offset += written
            var remaining = written
            while remaining > 0 {
                let length = vectors[index].iov_len
                if remaining >= length {
                    remaining -= length
                    index += 1
                } else {
                    vectors[index].iov_base += remaining
                    vectors[index].iov_len = length - remaining
                    remaining = 0
                }
            }
        }
    }
}
