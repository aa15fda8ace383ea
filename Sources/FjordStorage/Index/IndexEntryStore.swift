/// Fixed-capacity storage for the in-memory entries of an active segment's index.
///
/// Publication protocol (why this is `@unchecked Sendable`): the single writer (the log's writer lock holder)
/// writes slot `i` only while no published ``IndexEntries`` snapshot of this store has a `count` above `i`, and
/// publishes a snapshot only after writing (through the log's view lock, which orders the memory). Readers read only
/// slots below their snapshot's `count`. Shrinking (truncation) never reuses a store: it copies the surviving prefix
/// into a new one, so a slot, once published, is never written again.
final class IndexEntryStore<Entry: IndexEntryCodable>: @unchecked Sendable {
    let capacity: Int
    private let base: UnsafeMutablePointer<Entry>

    init(capacity: Int) {
        precondition(capacity > 0, "index store capacity must be positive, got \(capacity)")
        self.capacity = capacity
        self.base = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Reads slot `index`; the caller guarantees `index` is below a published count.
    @inline(__always) subscript(index: Int) -> Entry {
        base[index]
    }

    /// Writes slot `index`; the caller is the writer and `index` is not yet published.
    @inline(__always) func store(_ entry: Entry, at index: Int) {
        (base + index).initialize(to: entry)
    }

    /// A new store of `capacity` slots holding this store's first `count` entries.
    func copy(count: Int, capacity: Int) -> IndexEntryStore<Entry> {
        precondition(count <= capacity && count <= self.capacity, "copy \(count) into \(capacity)/\(self.capacity)")
        let copy = IndexEntryStore(capacity: capacity)
        copy.base.initialize(from: base, count: count)
        return copy
    }
}

/// An immutable view of the first `count` entries of a store: what a reader holds.
struct IndexEntries<Entry: IndexEntryCodable>: Sendable {
    let store: IndexEntryStore<Entry>?
    let count: Int

    static var empty: IndexEntries { IndexEntries(store: nil, count: 0) }

    @inline(__always) subscript(index: Int) -> Entry {
        precondition(index >= 0 && index < count, "index entry \(index) outside 0..<\(count)")
        return store.unsafelyUnwrapped[index]
    }

    var last: Entry? { count == 0 ? nil : self[count - 1] }
}

/// The writer's side of an in-memory index: appends entries, grows by copying, truncates by copying.
struct GrowableIndex<Entry: IndexEntryCodable>: Sendable {
    private(set) var store: IndexEntryStore<Entry>?
    private(set) var count = 0

    init() {}

    init(_ entries: [Entry]) {
        if !entries.isEmpty {
            let store = IndexEntryStore<Entry>(capacity: max(64, entries.count))
            for (i, entry) in entries.enumerated() { store.store(entry, at: i) }
            self.store = store
            self.count = entries.count
        }
    }

    var entries: IndexEntries<Entry> { IndexEntries(store: store, count: count) }
    var last: Entry? { entries.last }
    subscript(index: Int) -> Entry { entries[index] }

    mutating func append(_ entry: Entry) {
        if let current = store, count < current.capacity {
            current.store(entry, at: count)
        } else {
            let grown = store?.copy(count: count, capacity: max(64, count * 2)) ?? IndexEntryStore(capacity: 64)
            grown.store(entry, at: count)
            store = grown
        }
        count += 1
    }

    /// Keeps the first `newCount` entries, in a fresh store so that published slots are never overwritten.
    mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "truncate index to \(newCount) of \(count)")
        guard newCount < count else { return }
        store = newCount == 0 ? nil : store!.copy(count: newCount, capacity: max(64, newCount * 2))
        count = newCount
    }

    /// Encodes entries `range` as on disk.
    func encoded(_ range: Range<Int>) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: range.count * Entry.sizeBytes)
        bytes.withUnsafeMutableBytes { raw in
            for (i, index) in range.enumerated() { self[index].encode(into: raw, at: i * Entry.sizeBytes) }
        }
        return bytes
    }
}
