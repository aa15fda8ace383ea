/// One live watch: a stream of events for a path, re-armed by its ``SessionCore`` after each one-shot ZooKeeper
/// watch fires. Owned by the core (its `watches`) and by ``WatchRegistry``, removed from both when it ends.
final class WatchEntry: Sendable {
    enum Kind: Sendable {
        /// Data changes, creation and deletion of the node (armed with `zoo_awexists`).
        case node
        /// Children changes and deletion of the node (armed with `zoo_awget_children2`).
        case children
    }

    let id: UInt64
    let kind: Kind
    let path: String
    let core: SessionCore
    let continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation

    init(
        id: UInt64, kind: Kind, path: String, core: SessionCore,
        continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    ) {
        self.id = id
        self.kind = kind
        self.path = path
        self.core = core
        self.continuation = continuation
    }
}

/// The process-wide table of live watches, keyed by the id passed to the C client as the watcher context.
///
/// A watcher context is an integer, not an object, because the C client keeps a watcher registered until it fires
/// or the handle closes, and calls it for every session event meanwhile: an id that no longer resolves (the watch
/// was cancelled or ended) is simply ignored, so no context is ever freed while the library may still use it.
final class WatchRegistry: Sendable {
    static let shared = WatchRegistry()

    private struct Table {
        var nextID: UInt64 = 1
        var entries: [UInt64: WatchEntry] = [:]
    }

    private let table = LockedValue(Table())

    func makeID() -> UInt64 {
        table.withLock { table in
            defer { table.nextID += 1 }
            return table.nextID
        }
    }

    func insert(_ entry: WatchEntry) {
        table.withLock { $0.entries[entry.id] = entry }
    }

    func lookup(_ id: UInt64) -> WatchEntry? {
        table.withLock { $0.entries[id] }
    }

    @discardableResult
    func remove(_ id: UInt64) -> WatchEntry? {
        table.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Called by the C watcher (completion thread) when a one-shot watch fired.
    func fire(id: UInt64, type: Int32) {
        guard let entry = lookup(id) else { return }
        entry.core.watchFired(entry, type: type)
    }

    static func context(for id: UInt64) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(id))!
    }

    static func id(_ context: UnsafeMutableRawPointer) -> UInt64 {
        UInt64(UInt(bitPattern: context))
    }
}
