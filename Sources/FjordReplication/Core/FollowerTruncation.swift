import FjordModel

/// Where a follower truncates when the leader answers a fetch with a diverging epoch (KIP-279/KIP-595, Kafka's
/// `getOffsetTruncationState`). Pure.
///
/// With the leader's `(epoch E, end offset L)` and the follower's own end offset `F` for the largest epoch at or
/// below `E` (the follower's log end offset for its latest epoch):
/// - the follower has `E` itself: truncate to `min(L, F)` — the logs agree up to there;
/// - the follower lacks `E` (its epoch below `E` is `E' < E`): truncate to `F`, the end of `E'`; the next fetch names
///   `E'` as last fetched epoch and the leader checks again;
/// - the follower knows no epoch at or below `E`, or the leader sent no epoch: truncate to `min(L, LEO)`.
/// The result never exceeds the follower's log end offset, and is never derived from the follower's high watermark
/// (truncating to the HW loses acknowledged records, KIP-101).
public enum FollowerTruncation {
    /// - Parameters:
    ///   - localEndOffset: the follower log's `endOffset(for:)` (largest cached epoch at or below the argument and
    ///     where it ends; `(.none, .none)` when unknown).
    /// - Returns: the offset to truncate to, or `nil` when the leader gave no usable end offset (retry later).
    public static func offset(
        diverging: DivergingEpoch, logEndOffset: Offset,
        localEndOffset: (LeaderEpoch) -> (epoch: LeaderEpoch, endOffset: Offset)
    ) -> Offset? {
        guard diverging.endOffset.rawValue >= 0 else { return nil }
        guard diverging.epoch.rawValue >= 0 else { return min(diverging.endOffset, logEndOffset) }
        let (localEpoch, localEnd) = localEndOffset(diverging.epoch)
        guard localEpoch.rawValue >= 0, localEnd.rawValue >= 0 else { return min(diverging.endOffset, logEndOffset) }
        if localEpoch != diverging.epoch { return min(localEnd, logEndOffset) }
        return min(localEnd, diverging.endOffset, logEndOffset)
    }
}
