import FjordModel

// Lives in Producer/ because the replication helper owns only this folder of FjordStorage; it belongs with the
// log's leader-epoch code and can move there.

extension PartitionLog {
    /// Records that leader epoch `epoch` starts at `startOffset` (the log end offset when this replica becomes
    /// leader), before any batch of that epoch is appended, and writes the leader-epoch checkpoint (Kafka's
    /// `maybeAssignEpochStartOffset`). A follower whose log holds a later, divergent epoch can then find where to
    /// truncate even if the new leader has not appended yet (KIP-101). Ignored unless `epoch` is newer than the
    /// latest cached epoch.
    ///
    /// Blocking (writes and syncs the checkpoint file): run it off the event loops.
    public func assignLeaderEpoch(_ epoch: LeaderEpoch, startOffset: Offset) throws(LogError) {
        let pending = writer.withLock { state -> (entries: [LeaderEpochCache.Entry], version: Int)? in
            let before = state.epochCacheVersion
            state.assignEpoch(epoch, startOffset: startOffset)
            guard state.epochCacheVersion != before else { return nil }
            publish(state)
            return (state.epochCache.entries, state.epochCacheVersion)
        }
        guard let pending else { return }
        try writeEpochCheckpoint(pending.entries, version: pending.version)
    }
}
