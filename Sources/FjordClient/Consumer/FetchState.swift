import Atomics
import DequeModule
import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// Records of one partition from one fetch response, not yet decoded (the iterator decodes them, off the event
/// loop).
struct FetchedChunk: Sendable {
    var topicPartition: TopicPartition
    /// The partition's epoch when the fetch was sent; a chunk from an older epoch (before a seek, pause or
    /// reassignment) is dropped.
    var epoch: UInt64
    /// The record batches, as the broker sent them (possibly ending with a partial batch).
    var records: ByteBuffer
    /// Records before this offset are skipped (a fetch from inside a batch returns the whole batch).
    var fetchOffset: Offset
    /// The offset after the last whole batch: where the partition's position stands once the chunk is consumed.
    var nextOffset: Offset
    var sizeBytes: Int { records.readableBytes }
}

/// What the records iterator publishes while it works through a chunk, without taking a lock per record.
final class ChunkProgress: Sendable {
    let topicPartition: TopicPartition
    let epoch: UInt64
    let nextOffset: Offset
    /// One past the last record returned to the application (what a manual `commit()` commits).
    let returnedNext = ManagedAtomic<Int64>(-1)
    /// One past the last record the application finished (returned, and `next()` called again): what auto-commit
    /// commits.
    let processedNext = ManagedAtomic<Int64>(-1)

    init(topicPartition: TopicPartition, epoch: UInt64, nextOffset: Offset) {
        self.topicPartition = topicPartition
        self.epoch = epoch
        self.nextOffset = nextOffset
    }
}

/// The consumer's pure core: assigned partitions with their positions, fetch planning, the buffer of fetched
/// chunks, and the hand-over of chunks to the records iterator. Owned by the consumer's `Mutex`.
///
/// Positions: `consumed` is the next offset to give the application (and, once processed, to commit);
/// `fetchOffset` runs ahead of it by the buffered chunks (fetching continues while the application works, up to
/// `maxBufferedBytes`). Every change that invalidates buffered data (seek, reassignment, reset) bumps the
/// partition's `epoch`, and anything tagged with an older epoch — chunks, in-flight fetch answers, offset lookups —
/// is dropped when it arrives.
struct FetchState: Sendable {
    /// How a partition's position gets decided.
    enum PositionSource: Sendable, Hashable {
        /// The group's committed offset, else `auto.offset.reset`.
        case committed
        case reset(OffsetResetStrategy)
        case timestamp(TimestampMs)
    }

    struct Partition: Sendable {
        var consumed: Offset?
        var fetchOffset: Offset?
        var epoch: UInt64
        var paused = false
        /// Set while the position is unknown.
        var pending: PositionSource?
        var lookupInFlight = false
        var fetchInFlight = false
        var retryAtNs: UInt64 = 0
        var bufferedBytes = 0
        var highWatermark: Offset = .none
        var logStartOffset: Offset = .none
        var leaderEpoch: Int32 = -1
    }

    /// One planned fetch per broker.
    struct FetchPlan: Sendable {
        var requests: [BrokerID: [(TopicPartition, fetchOffset: Offset, leaderEpoch: Int32, epoch: UInt64)]] = [:]
        /// Partitions whose position must be looked up (with the epoch to check the answer against).
        var lookups: [(TopicPartition, PositionSource, epoch: UInt64)] = []
        var refreshMetadata = false
        var connect: Set<BrokerID> = []
        var nextWakeNs: UInt64?
    }

    /// One partition's answer in a fetch response.
    struct PartitionResult: Sendable {
        var errorCode: ErrorCode
        var highWatermark: Offset
        var logStartOffset: Offset
        var records: ByteBuffer?
    }

    let maxBufferedBytes: Int
    let maxPartitionBufferedBytes: Int
    let autoOffsetReset: OffsetResetStrategy
    let retryBackoffNs: UInt64
    private(set) var partitions: [TopicPartition: Partition] = [:]
    private(set) var chunks: Deque<FetchedChunk> = []
    private(set) var bufferedBytes = 0
    private(set) var busyBrokers: Set<BrokerID> = []
    private var nextEpoch: UInt64 = 1
    /// The chunk the iterator is working through.
    private(set) var current: ChunkProgress?
    /// An error for the iterator to throw (OFFSET_OUT_OF_RANGE with `auto.offset.reset=none`…).
    var pendingError: KafkaClientError?
    /// The iterator, waiting for a chunk.
    var waiter: CheckedContinuation<Void, Never>?

    init(
        maxBufferedBytes: Int, maxPartitionFetchBytes: Int, autoOffsetReset: OffsetResetStrategy, retryBackoffNs: UInt64
    ) {
        self.maxBufferedBytes = maxBufferedBytes
        self.maxPartitionBufferedBytes = max(2 * maxPartitionFetchBytes, 1 << 20)
        self.autoOffsetReset = autoOffsetReset
        self.retryBackoffNs = retryBackoffNs
    }

    var assignment: Set<TopicPartition> { Set(partitions.keys) }

    // MARK: Assignment and positions

    /// Adds partitions (already assigned ones keep their state); their positions come from `source`.
    mutating func assign(_ added: [TopicPartition], source: PositionSource) {
        for tp in added where partitions[tp] == nil {
            partitions[tp] = Partition(epoch: takeEpoch(), pending: source)
        }
    }

    /// Removes partitions; their buffered chunks are dropped.
    mutating func unassign(_ removed: [TopicPartition]) {
        for tp in removed {
            guard let p = partitions.removeValue(forKey: tp) else { continue }
            bufferedBytes -= p.bufferedBytes
        }
        chunks.removeAll { partitions[$0.topicPartition] == nil }
        if let current, partitions[current.topicPartition] == nil { self.current = nil }
    }

    /// Moves a partition's position to a known offset.
    mutating func seek(_ tp: TopicPartition, to offset: Offset) -> Bool {
        guard partitions[tp] != nil else { return false }
        invalidate(tp)
        partitions[tp]!.consumed = offset
        partitions[tp]!.fetchOffset = offset
        partitions[tp]!.pending = nil
        return true
    }

    /// Makes a partition's position be looked up again (beginning, end, a timestamp, the committed offset).
    mutating func seek(_ tp: TopicPartition, source: PositionSource) -> Bool {
        guard partitions[tp] != nil else { return false }
        invalidate(tp)
        partitions[tp]!.consumed = nil
        partitions[tp]!.fetchOffset = nil
        partitions[tp]!.pending = source
        return true
    }

    /// New epoch, buffered chunks dropped.
    private mutating func invalidate(_ tp: TopicPartition) {
        partitions[tp]!.epoch = takeEpoch()
        partitions[tp]!.lookupInFlight = false
        partitions[tp]!.retryAtNs = 0
        bufferedBytes -= partitions[tp]!.bufferedBytes
        partitions[tp]!.bufferedBytes = 0
        chunks.removeAll { $0.topicPartition == tp }
        if current?.topicPartition == tp { current = nil }
    }

    private mutating func takeEpoch() -> UInt64 {
        defer { nextEpoch += 1 }
        return nextEpoch
    }

    mutating func setPaused(_ tps: [TopicPartition], _ paused: Bool) {
        for tp in tps where partitions[tp] != nil { partitions[tp]!.paused = paused }
    }

    /// Installs looked-up positions, unless the partition changed since the lookup began.
    mutating func resolved(_ tp: TopicPartition, epoch: UInt64, offset: Offset) {
        guard partitions[tp]?.epoch == epoch else { return }
        partitions[tp]!.lookupInFlight = false
        partitions[tp]!.pending = nil
        partitions[tp]!.consumed = offset
        partitions[tp]!.fetchOffset = offset
    }

    /// A lookup failed: retry after the backoff with `source` (e.g. the reset policy after no committed offset).
    mutating func lookupFailed(_ tp: TopicPartition, epoch: UInt64, source: PositionSource?, nowNs: UInt64) {
        guard partitions[tp]?.epoch == epoch else { return }
        partitions[tp]!.lookupInFlight = false
        if let source { partitions[tp]!.pending = source }
        partitions[tp]!.retryAtNs = nowNs > UInt64.max - retryBackoffNs ? .max : nowNs + retryBackoffNs
    }

    // MARK: Fetch planning

    /// Plans lookups for partitions without a position and one fetch per broker (that has none in flight) for the
    /// partitions with a position, not paused, not backing off, and with room in the buffer.
    ///
    /// A fetch whose partitions are all caught up (at the high watermark the last answer reported) is held back
    /// while the same broker leads a partition that waits only for its buffer to drain: sent alone, it would park
    /// in the broker's long poll (`fetch.max.wait.ms`), and the drained partition could not be fetched until it
    /// returned. Held, it goes out with that partition as soon as the application has taken a chunk.
    mutating func plan(nowNs: UInt64, leader: (TopicPartition) -> BrokerID?, connected: (BrokerID) -> Bool)
        -> FetchPlan
    {
        var plan = FetchPlan()
        var waitingForBuffer: Set<BrokerID> = []
        let bufferFull = bufferedBytes >= maxBufferedBytes
        for tp in partitions.keys.sorted() {
            let p = partitions[tp]!
            if p.retryAtNs > nowNs {
                if p.retryAtNs < .max { plan.nextWakeNs = min(plan.nextWakeNs ?? .max, p.retryAtNs) }
                continue
            }
            if let source = p.pending {
                if !p.lookupInFlight {
                    partitions[tp]!.lookupInFlight = true
                    plan.lookups.append((tp, source, p.epoch))
                }
                continue
            }
            guard let offset = p.fetchOffset, !p.paused, !p.fetchInFlight, !bufferFull else { continue }
            guard p.bufferedBytes < maxPartitionBufferedBytes else {
                if let broker = leader(tp) { waitingForBuffer.insert(broker) }
                continue
            }
            guard let broker = leader(tp) else {
                plan.refreshMetadata = true
                continue
            }
            guard !busyBrokers.contains(broker) else { continue }
            guard connected(broker) else {
                plan.connect.insert(broker)
                continue
            }
            plan.requests[broker, default: []].append((tp, offset, p.leaderEpoch, p.epoch))
        }
        for broker in waitingForBuffer {
            guard let items = plan.requests[broker] else { continue }
            let caughtUp = items.allSatisfy { item in
                let highWatermark = partitions[item.0]!.highWatermark
                return highWatermark != .none && item.fetchOffset >= highWatermark
            }
            if caughtUp { plan.requests[broker] = nil }
        }
        for (broker, items) in plan.requests {
            busyBrokers.insert(broker)
            for item in items { partitions[item.0]!.fetchInFlight = true }
        }
        return plan
    }

    /// Whether any partition waits only for time (a backoff) — for the fetcher's next wake-up.
    func earliestRetryNs() -> UInt64? {
        partitions.values.map(\.retryAtNs).filter { $0 > 0 && $0 < .max }.min()
    }

    // MARK: Fetch responses

    /// What the fetcher should do after a response.
    struct ApplyOutcome: Sendable {
        var refreshMetadata = false
        var wakeIterator: CheckedContinuation<Void, Never>?
    }

    /// Applies one fetch response from `broker` (or its failure: `results` nil) to the partitions it covered.
    mutating func applyFetch(
        broker: BrokerID, sent: [(TopicPartition, fetchOffset: Offset, leaderEpoch: Int32, epoch: UInt64)],
        results: [TopicPartition: PartitionResult]?, nowNs: UInt64
    ) -> ApplyOutcome {
        busyBrokers.remove(broker)
        var outcome = ApplyOutcome()
        for (tp, fetchOffset, _, epoch) in sent {
            guard partitions[tp]?.epoch == epoch else {
                if partitions[tp] != nil { partitions[tp]!.fetchInFlight = false }
                continue
            }
            partitions[tp]!.fetchInFlight = false
            guard let result = results?[tp] else {
                partitions[tp]!.retryAtNs = nowNs &+ retryBackoffNs
                outcome.refreshMetadata = true
                continue
            }
            apply(result, tp: tp, fetchOffset: fetchOffset, epoch: epoch, nowNs: nowNs, outcome: &outcome)
        }
        if !chunks.isEmpty || pendingError != nil, let waiter {
            self.waiter = nil
            outcome.wakeIterator = waiter
        }
        return outcome
    }

    private mutating func apply(
        _ result: PartitionResult, tp: TopicPartition, fetchOffset: Offset, epoch: UInt64, nowNs: UInt64,
        outcome: inout ApplyOutcome
    ) {
        switch result.errorCode {
        case .noError:
            partitions[tp]!.highWatermark = result.highWatermark
            partitions[tp]!.logStartOffset = result.logStartOffset
            guard let records = result.records, records.readableBytes > 0,
                let next = Self.nextOffset(after: records), next > fetchOffset
            else { return }
            partitions[tp]!.fetchOffset = next
            partitions[tp]!.bufferedBytes += records.readableBytes
            bufferedBytes += records.readableBytes
            chunks.append(
                FetchedChunk(
                    topicPartition: tp, epoch: epoch, records: records, fetchOffset: fetchOffset, nextOffset: next))
        case .offsetOutOfRange:
            let policy = autoOffsetReset
            if policy == .none {
                partitions[tp]!.retryAtNs = .max
                pendingError = KafkaClientError.broker(
                    .offsetOutOfRange, "fetch offset \(fetchOffset) is out of range and auto.offset.reset is none",
                    topicPartition: tp)
            } else {
                _ = seek(tp, source: .reset(policy))
            }
        case .notLeaderOrFollower, .unknownTopicOrPartition, .leaderNotAvailable, .fencedLeaderEpoch,
            .unknownLeaderEpoch, .kafkaStorageError, .replicaNotAvailable, .offsetNotAvailable:
            partitions[tp]!.retryAtNs = nowNs &+ retryBackoffNs
            outcome.refreshMetadata = true
        default:
            partitions[tp]!.retryAtNs = nowNs &+ retryBackoffNs
            if !result.errorCode.isRetriable {
                pendingError = KafkaClientError.broker(result.errorCode, "fetch failed", topicPartition: tp)
            }
        }
    }

    /// The offset after the last whole batch in `records`, read from batch headers only (no CRC pass here; the
    /// iterator validates each batch).
    static func nextOffset(after records: ByteBuffer) -> Offset? {
        var index = records.readerIndex
        let end = records.writerIndex
        var next: Offset?
        while end - index >= RecordBatchHeader.size {
            guard let header = try? RecordBatchHeader.peek(records, at: index), header.totalSize <= end - index else {
                break
            }
            next = header.nextOffset
            index += header.totalSize
        }
        return next
    }

    // MARK: Hand-over to the iterator

    /// Folds the finished chunk's progress into its partition's position, then hands out the next chunk of a
    /// partition that is still assigned, not paused, and of the current epoch (stale chunks are dropped; paused
    /// partitions' chunks stay buffered).
    mutating func takeChunk(finished: ChunkProgress?) -> (FetchedChunk, ChunkProgress)? {
        if let finished { fold(finished, through: finished.nextOffset) }
        current = nil
        var index = chunks.startIndex
        while index < chunks.endIndex {
            let chunk = chunks[index]
            guard let p = partitions[chunk.topicPartition], p.epoch == chunk.epoch else {
                chunks.remove(at: index)
                continue
            }
            if p.paused {
                index += 1
                continue
            }
            chunks.remove(at: index)
            partitions[chunk.topicPartition]!.bufferedBytes -= chunk.sizeBytes
            bufferedBytes -= chunk.sizeBytes
            let progress = ChunkProgress(
                topicPartition: chunk.topicPartition, epoch: chunk.epoch, nextOffset: chunk.nextOffset)
            current = progress
            return (chunk, progress)
        }
        return nil
    }

    /// Whether the iterator's chunk is still valid (assigned, same epoch, not paused).
    func isCurrent(_ progress: ChunkProgress) -> Bool {
        guard let p = partitions[progress.topicPartition] else { return false }
        return p.epoch == progress.epoch && !p.paused && current === progress
    }

    private mutating func fold(_ progress: ChunkProgress, through offset: Offset) {
        guard let p = partitions[progress.topicPartition], p.epoch == progress.epoch else { return }
        if offset.rawValue >= 0, p.consumed.map({ offset > $0 }) ?? true {
            partitions[progress.topicPartition]!.consumed = offset
        }
    }

    /// The positions to commit: processed positions (auto-commit) or returned positions (`commit()`), including
    /// the iterator's progress in its current chunk.
    func commitPositions(processedOnly: Bool) -> [TopicPartition: Offset] {
        var result: [TopicPartition: Offset] = [:]
        for (tp, p) in partitions {
            if let consumed = p.consumed { result[tp] = consumed }
        }
        if let current, let p = partitions[current.topicPartition], p.epoch == current.epoch {
            let value =
                processedOnly
                ? current.processedNext.load(ordering: .acquiring) : current.returnedNext.load(ordering: .acquiring)
            if value >= 0, result[current.topicPartition].map({ value > $0.rawValue }) ?? true {
                result[current.topicPartition] = Offset(value)
            }
        }
        return result
    }

    /// Lag bookkeeping for one partition: (position, high watermark, log start offset).
    func position(_ tp: TopicPartition) -> Offset? {
        commitPositions(processedOnly: false)[tp]
    }

    func highWatermark(_ tp: TopicPartition) -> Offset? {
        guard let p = partitions[tp], p.highWatermark.rawValue >= 0 else { return nil }
        return p.highWatermark
    }
}
