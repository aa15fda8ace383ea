import CZooKeeper

/// What a completion reported, copied out of the C client's buffers on its completion thread (the C buffers are
/// freed when the completion returns).
struct RawOutcome: Sendable {
    var rc: Int32
    var stat: ZNodeStat? = nil
    var data: [UInt8]? = nil
    var string: String? = nil
    var children: [String]? = nil
    var multi: [MultiOperationOutcome]? = nil

    static let closing = RawOutcome(rc: ZCLOSING.rawValue)
    var isOK: Bool { rc == ZOK.rawValue }
}

/// One operation's result inside a `multi` completion.
struct MultiOperationOutcome: Sendable {
    var rc: Int32
    var createdPath: String?
    var stat: ZNodeStat?
}

/// The process-wide table of asynchronous operations submitted to the C client and not yet answered.
///
/// The `data` pointer handed to a `zoo_a*` call is not a Swift object but an integer id (`UInt64` bit pattern, never
/// zero, never reused) looked up here. That makes every way an operation can end safe and leak-free:
/// - its completion runs (once, on the completion thread): `take` removes the entry and resumes it;
/// - the call fails immediately (the completion will never run): the submitter `take`s the entry;
/// - the client closes and, because of the 3.8.0 bug, the completion never runs: after `zookeeper_close` returns,
///   `takeAll(owner:)` fails what is left with `ZCLOSING`.
/// Whoever removes the entry resumes it, so each operation is resumed exactly once. Resources the library writes
/// into until the completion (the result buffers of `zoo_amulti`) are owned by the entry, so they live until the
/// entry is removed, which is after the completion ran or after `zookeeper_close` returned.
final class PendingOperations: Sendable {
    static let shared = PendingOperations()

    struct Entry: Sendable {
        /// The ``SessionCore/serial`` of the client that submitted the operation.
        let owner: UInt64
        let buffers: MultiBuffers?
        let resume: @Sendable (RawOutcome) -> Void
    }

    private struct Table {
        var nextID: UInt64 = 1
        var entries: [UInt64: Entry] = [:]
        var countByOwner: [UInt64: Int] = [:]
    }

    private let table = LockedValue(Table())

    /// Registers an operation before its `zoo_a*` call and returns the id to pass as the call's `data`.
    func register(owner: UInt64, buffers: MultiBuffers?, resume: @escaping @Sendable (RawOutcome) -> Void) -> UInt64 {
        table.withLock { table in
            let id = table.nextID
            table.nextID += 1
            table.entries[id] = Entry(owner: owner, buffers: buffers, resume: resume)
            table.countByOwner[owner, default: 0] += 1
            return id
        }
    }

    /// Removes and returns an operation, or nil if it already ended.
    func take(_ id: UInt64) -> Entry? {
        table.withLock { table in
            guard let entry = table.entries.removeValue(forKey: id) else { return nil }
            Self.decrement(&table, owner: entry.owner)
            return entry
        }
    }

    /// Removes and returns every operation of a client.
    func takeAll(owner: UInt64) -> [Entry] {
        table.withLock { table in
            let ids = table.entries.compactMap { $0.value.owner == owner ? $0.key : nil }
            table.countByOwner[owner] = nil
            return ids.compactMap { table.entries.removeValue(forKey: $0) }
        }
    }

    func count(owner: UInt64) -> Int {
        table.withLock { $0.countByOwner[owner] ?? 0 }
    }

    /// Completes the operation whose id the C client handed back (ignored if it already ended).
    func complete(_ data: UnsafeRawPointer?, _ outcome: RawOutcome) {
        guard let data, let entry = take(Self.id(data)) else { return }
        entry.resume(outcome)
    }

    /// Completes a `multi`: reads its per-operation results out of the buffers the library filled in.
    func completeMulti(_ data: UnsafeRawPointer?, rc: Int32) {
        guard let data, let entry = take(Self.id(data)) else { return }
        var outcome = RawOutcome(rc: rc)
        outcome.multi = entry.buffers?.outcomes()
        entry.resume(outcome)
    }

    static func pointer(for id: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(bitPattern: UInt(id))!
    }

    static func id(_ pointer: UnsafeRawPointer) -> UInt64 {
        UInt64(UInt(bitPattern: pointer))
    }

    private static func decrement(_ table: inout Table, owner: UInt64) {
        let remaining = (table.countByOwner[owner] ?? 1) - 1
        table.countByOwner[owner] = remaining > 0 ? remaining : nil
    }
}
