/// Random access to index entries, in memory (active segment) or in the index file (sealed segments).
protocol IndexEntrySource<Entry> {
    associatedtype Entry: IndexEntryCodable
    var count: Int { get }
    func entry(at index: Int) throws(LogError) -> Entry
}

extension IndexEntries: IndexEntrySource {
    func entry(at index: Int) throws(LogError) -> Entry { self[index] }
}

extension IndexEntrySource {
    /// The last entry for which `isBefore` holds, where `isBefore` is true for a prefix of the entries and false
    /// after it (a monotone predicate). `nil` when it holds for none. O(log count) entry reads.
    func lastEntry(where isBefore: (Entry) -> Bool) throws(LogError) -> Entry? {
        var low = 0
        var high = count  // invariant: entries < low satisfy, entries >= high do not
        while low < high {
            let middle = low + (high - low) / 2
            if isBefore(try entry(at: middle)) { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : try entry(at: low - 1)
    }
}

/// The entries of a sealed segment's index file, read with `pread` on demand.
///
/// Sealed segments keep no index in memory: a lookup costs O(log n) small reads that the page cache serves, the
/// way Kafka's memory-mapped indexes cost page faults. The file is immutable while the segment is sealed.
struct FileIndexEntries<Entry: IndexEntryCodable>: IndexEntrySource, Sendable {
    let file: LogFileHandle
    let count: Int

    func entry(at index: Int) throws(LogError) -> Entry {
        precondition(index >= 0 && index < count, "index entry \(index) outside 0..<\(count)")
        return try withUnsafeTemporaryAllocation(byteCount: Entry.sizeBytes, alignment: 8) {
            (raw) throws(LogError) -> Entry in
            let read = try file.read(into: raw, at: index * Entry.sizeBytes)
            guard read == Entry.sizeBytes else {
                throw LogError(.storage, "index \(file.path) ends inside entry \(index)")
            }
            return Entry(decoding: UnsafeRawBufferPointer(raw), at: 0)
        }
    }

    /// Reads every entry (to load a sealed segment's index back into memory).
    func readAll() throws(LogError) -> [Entry] {
        let byteCount = count * Entry.sizeBytes
        var bytes = [UInt8](repeating: 0, count: byteCount)
        let read = try file.read(into: &bytes, at: 0)
        guard read == byteCount else { throw LogError(.storage, "index \(file.path) shorter than \(count) entries") }
        return bytes.withUnsafeBytes { raw in (0..<count).map { Entry(decoding: raw, at: $0 * Entry.sizeBytes) } }
    }
}
