import FjordModel

/// The leader-epoch history of a partition log: for each leader epoch that wrote to the log, the offset of its first
/// batch (KIP-101, KIP-279). Followers use it to find where their log diverges from the leader's.
///
/// Invariant: entries are strictly increasing in both epoch and start offset. The end offset of an epoch is the
/// start offset of the next higher epoch in the cache, or the log end offset for the latest one.
///
/// Pure value; the log keeps it under its writer lock and publishes copies to readers, and persists it in the
/// `leader-epoch-checkpoint` file (``LeaderEpochCheckpointFile``).
public struct LeaderEpochCache: Hashable, Sendable {
    public struct Entry: Hashable, Sendable, CustomStringConvertible {
        public var epoch: LeaderEpoch
        public var startOffset: Offset

        public init(epoch: LeaderEpoch, startOffset: Offset) {
            self.epoch = epoch
            self.startOffset = startOffset
        }

        public var description: String { "(epoch \(epoch), start \(startOffset))" }
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = []
        for entry in entries { assign(epoch: entry.epoch, startOffset: entry.startOffset) }
    }

    public var latestEpoch: LeaderEpoch? { entries.last?.epoch }
    public var earliestEntry: Entry? { entries.first }
    public var isEmpty: Bool { entries.isEmpty }

    /// Records that `epoch` wrote its first batch at `startOffset`. Ignores negative values and repeats of the latest
    /// epoch at or after its start; otherwise first removes entries that conflict with the new one (an epoch at or
    /// above `epoch`, or a start offset at or above `startOffset`), which happens only after an unclean history.
    ///
    /// - Returns: whether the cache changed.
    @discardableResult
    public mutating func assign(epoch: LeaderEpoch, startOffset: Offset) -> Bool {
        guard epoch.rawValue >= 0, startOffset.rawValue >= 0 else { return false }
        if let last = entries.last, last.epoch == epoch, last.startOffset <= startOffset { return false }
        while let last = entries.last, last.epoch >= epoch || last.startOffset >= startOffset { entries.removeLast() }
        entries.append(Entry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// The end offset of `epoch` as KIP-279 defines it, with the epoch it belongs to:
    /// - the latest epoch ends at `logEndOffset`;
    /// - an older epoch ends where the next higher cached epoch starts, reported with the highest cached epoch at or
    ///   below it (which may be lower than the requested one if that epoch never wrote to this log);
    /// - an epoch below every cached one ends at the first cached start offset, reported with the requested epoch;
    /// - an unknown epoch (above the latest, negative, or an empty cache) gives `(.none, .none)`.
    public func endOffset(for epoch: LeaderEpoch, logEndOffset: Offset) -> (epoch: LeaderEpoch, endOffset: Offset) {
        guard epoch.rawValue >= 0, let latest = entries.last else { return (.none, .none) }
        if epoch == latest.epoch { return (epoch, logEndOffset) }
        guard let higher = entries.firstIndex(where: { $0.epoch > epoch }) else { return (.none, .none) }
        if higher == 0 { return (epoch, entries[0].startOffset) }
        return (entries[higher - 1].epoch, entries[higher].startOffset)
    }

    /// The epoch of the batch holding `offset`: the last entry starting at or below it.
    public func epoch(forOffset offset: Offset) -> LeaderEpoch? {
        entries.last(where: { $0.startOffset <= offset })?.epoch
    }

    /// Removes entries starting at or after `endOffset` (the log was truncated to `endOffset`).
    ///
    /// - Returns: whether the cache changed.
    @discardableResult
    public mutating func truncateFromEnd(endOffset: Offset) -> Bool {
        let before = entries.count
        while let last = entries.last, last.startOffset >= endOffset { entries.removeLast() }
        return entries.count != before
    }

    /// Drops entries wholly below `startOffset` (the log start offset moved up); the epoch holding `startOffset` is
    /// kept and now starts at `startOffset`.
    ///
    /// - Returns: whether the cache changed.
    @discardableResult
    public mutating func truncateFromStart(startOffset: Offset) -> Bool {
        guard let holder = entries.lastIndex(where: { $0.startOffset <= startOffset }) else { return false }
        let changed = holder > 0 || entries[holder].startOffset != startOffset
        entries.removeFirst(holder)
        entries[0].startOffset = startOffset
        return changed
    }

    public mutating func clear() { entries.removeAll() }
}
