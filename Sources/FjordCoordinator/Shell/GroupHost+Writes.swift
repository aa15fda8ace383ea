import FjordCluster
import FjordModel
import ZooKeeper

/// A ``GroupWrite`` with its znode contents already encoded.
struct PreparedWrite: Sendable {
    var ticket: WriteTicket
    var metadata: ZNodeChange<[UInt8]>?
    var offsets: ZNodeChange<[UInt8]>?
}

extension GroupHost {
    /// Encodes a write and queues it; one whose content would not fit in a znode fails at once (Kafka answers
    /// INVALID_COMMIT_OFFSET_SIZE for oversized offset commits and UNKNOWN_SERVER_ERROR for oversized group
    /// metadata), before any later event can build on it.
    func enqueue(_ write: GroupWrite) {
        func encode<Record: Encodable>(_ change: ZNodeChange<Record>?) -> ZNodeChange<[UInt8]>? {
            switch change {
            case .set(let record): .set(ZNodeJSON.encode(record))
            case .delete: .delete
            case nil: nil
            }
        }
        let prepared = PreparedWrite(
            ticket: write.ticket, metadata: encode(write.metadata), offsets: encode(write.offsets))
        func size(_ change: ZNodeChange<[UInt8]>?) -> Int {
            if case .set(let bytes) = change { return bytes.count }
            return 0
        }
        if size(prepared.offsets) > context.zNodeMaxBytes || size(prepared.metadata) > context.zNodeMaxBytes {
            let error: GroupErrorCode =
                size(prepared.offsets) > context.zNodeMaxBytes ? .invalidCommitOffsetSize : .unknownServerError
            logger.warning(
                "group state too large for ZooKeeper",
                metadata: ["offsetsBytes": "\(size(prepared.offsets))", "metadataBytes": "\(size(prepared.metadata))"])
            oversized.append((write.ticket, error))
            return
        }
        writeQueue.append(prepared)
    }

    /// Reports oversized writes, then starts the next `multi` unless one is in flight.
    func pumpWrites() {
        while !oversized.isEmpty {
            let (ticket, error) = oversized.removeFirst()
            perform(machine.writeCompleted(ticket, error: error, now: context.clock()))
        }
        guard case .loaded = phase, !writing, !writeQueue.isEmpty else { return }
        writing = true
        let batch = writeQueue
        writeQueue = []
        Task { await self.flush(batch) }
    }

    /// Writes a batch as ONE `multi`: the epoch check, then the last change of each node in the batch, each a
    /// compare-and-set on the node's known version. Every ticket of the batch gets the outcome. After a failure the
    /// group is unloaded: the versions this host knows can no longer be trusted.
    private func flush(_ batch: [PreparedWrite]) async {
        guard case .loaded = phase else { return }
        let metadata = batch.last(where: { $0.metadata != nil })?.metadata
        let offsets = batch.last(where: { $0.offsets != nil })?.offsets
        var operations: [ZooKeeperOperation] = [.check(path: paths.epoch, version: versions.epoch)]
        let metadataIndex = append(metadata, path: paths.metadata, version: versions.metadata, to: &operations)
        let offsetsIndex = append(offsets, path: paths.offsets, version: versions.offsets, to: &operations)
        var error = GroupErrorCode.none
        do {
            let results = try await context.zooKeeper.multi(operations)
            if let metadataIndex { versions.metadata = Self.version(after: results[metadataIndex]) }
            if let offsetsIndex { versions.offsets = Self.version(after: results[offsetsIndex]) }
        } catch let failure as ZooKeeperError {
            error = failure.groupErrorCode
            logger.warning("group write failed", metadata: ["error": "\(failure)", "reported": "\(error)"])
        } catch {
            preconditionFailure("multi threw a non-ZooKeeper error: \(error)")
        }
        guard case .loaded = phase else { return }
        if error == .none { writing = false }
        for write in batch {
            perform(machine.writeCompleted(write.ticket, error: error, now: context.clock()))
        }
        if error != .none {
            unload(reason: "write failed: \(error)")
        }
    }

    /// Appends the operation for one node's change; returns its index, or nil if the node needs no operation
    /// (deleting a node that does not exist).
    private func append(
        _ change: ZNodeChange<[UInt8]>?, path: String, version: Int32?, to operations: inout [ZooKeeperOperation]
    ) -> Int? {
        switch (change, version) {
        case (nil, _), (.delete, nil):
            return nil
        case (.set(let bytes), .some(let version)):
            operations.append(.setData(path: path, data: bytes, version: version))
        case (.set(let bytes), nil):
            operations.append(.create(path: path, data: bytes))
        case (.delete, .some(let version)):
            operations.append(.delete(path: path, version: version))
        }
        return operations.count - 1
    }

    /// A node's version after an operation of a successful `multi` (nil once deleted).
    private static func version(after result: ZooKeeperOperationResult) -> Int32? {
        switch result {
        case .created: 0
        case .dataSet(let stat): stat.version
        case .deleted: nil
        case .checked: preconditionFailure("a check is not a node change")
        }
    }
}
