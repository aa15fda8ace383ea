import CZooKeeper

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The C memory of one `zoo_amulti` call: the `zoo_op_t` array, the result array the library fills in, and every
/// string, data buffer, created-path buffer and `Stat` they point to.
///
/// The library writes results into this memory when the answer arrives, so it must live until the completion ran
/// or `zookeeper_close` returned; ``PendingOperations`` owns it for exactly that long and `deinit` frees it.
final class MultiBuffers: @unchecked Sendable {
    // @unchecked: built by the submitting thread before `zoo_amulti`, then only touched by the library and by the
    // completion thread; the pending-operation table's lock orders those accesses.
    let count: Int
    let ops: UnsafeMutablePointer<zoo_op_t>
    let results: UnsafeMutablePointer<zoo_op_result_t>
    private var allocations: [UnsafeMutableRawPointer] = []

    /// Room for the longest path a sequential create can return: the path plus its 10-digit counter.
    private static let sequenceSuffixBytes = 16

    init(_ operations: [ZooKeeperOperation]) {
        count = operations.count
        ops = .allocate(capacity: max(1, count))
        results = .allocate(capacity: max(1, count))
        results.initialize(repeating: zoo_op_result_t(), count: max(1, count))
        ops.initialize(repeating: zoo_op_t(), count: max(1, count))
        for (index, operation) in operations.enumerated() {
            initialize(ops + index, operation)
        }
    }

    deinit {
        ops.deinitialize(count: max(1, count))
        ops.deallocate()
        results.deinitialize(count: max(1, count))
        results.deallocate()
        for pointer in allocations { free(pointer) }
    }

    private func initialize(_ op: UnsafeMutablePointer<zoo_op_t>, _ operation: ZooKeeperOperation) {
        switch operation {
        case .create(let path, let data, let mode):
            let bufferLength = path.utf8.count + Self.sequenceSuffixBytes + 1
            let pathBuffer = allocate(bufferLength).assumingMemoryBound(to: CChar.self)
            pathBuffer.initialize(repeating: 0, count: bufferLength)
            let (bytes, length) = copy(data)
            zoo_create_op_init(
                op, copy(path), bytes, length, fjord_zoo_open_acl_unsafe(), mode.flags, pathBuffer,
                Int32(bufferLength))
        case .delete(let path, let version):
            zoo_delete_op_init(op, copy(path), version)
        case .setData(let path, let data, let version):
            let stat = allocate(MemoryLayout<Stat>.stride).assumingMemoryBound(to: Stat.self)
            stat.initialize(to: Stat())
            let (bytes, length) = copy(data)
            zoo_set_op_init(op, copy(path), bytes, length, version, stat)
        case .check(let path, let version):
            zoo_check_op_init(op, copy(path), version)
        }
    }

    /// Per-operation results, read on the completion thread after the library filled them in.
    func outcomes() -> [MultiOperationOutcome] {
        (0..<count).map { index in
            let result = results[index]
            var outcome = MultiOperationOutcome(rc: result.err)
            guard result.err == ZOK.rawValue else { return outcome }
            if ops[index].type == ZOO_CREATE_OP, let value = result.value {
                outcome.createdPath = String(cString: value)
            }
            if ops[index].type == ZOO_SETDATA_OP, let stat = result.stat {
                outcome.stat = ZNodeStat(stat.pointee)
            }
            return outcome
        }
    }

    private func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        guard let pointer = malloc(max(1, size)) else { fatalError("out of memory allocating \(size) bytes") }
        allocations.append(pointer)
        return pointer
    }

    private func copy(_ string: String) -> UnsafePointer<CChar> {
        let utf8 = Array(string.utf8CString)
        let pointer = allocate(utf8.count).assumingMemoryBound(to: CChar.self)
        pointer.initialize(from: utf8, count: utf8.count)
        return UnsafePointer(pointer)
    }

    private func copy(_ data: [UInt8]) -> (UnsafePointer<CChar>, Int32) {
        let pointer = allocate(data.count).assumingMemoryBound(to: CChar.self)
        data.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: data.count)
            }
        }
        return (UnsafePointer(pointer), Int32(data.count))
    }
}
