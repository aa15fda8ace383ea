import FjordModel
import FjordNetwork
import FjordStorage
import KafkaProtocol
import KafkaWire
import NIOCore

extension ReplicaManager {
    /// Serves one frame of Fjord's replica fetch protocol (API key ``ReplicaFetchProtocol/apiKey``) that arrived on
    /// the inter-broker listener; the response is fully encoded, with record bytes as file parts (zero copy).
    ///
    /// Order of checks: the frame must decode (else the future fails and the server closes the connection); an
    /// unsupported version is answered UNSUPPORTED_VERSION; a follower that is not live, or whose broker epoch is
    /// older than its live registration's, gets STALE_BROKER_EPOCH for the whole request. Per partition, see
    /// ``Partition/checkReplicaFetch``: the follower's fetch offset is recorded as its LEO *before* the read, so the
    /// response carries the HW that produced. With nothing to send, the fetch waits for the leader's LEO to grow,
    /// up to `maxWaitMs`.
    public func handleReplicaFetch(_ frame: RequestFrame, eventLoop: any EventLoop)
        -> EventLoopFuture<FjordNetwork.KafkaResponse?>
    {
        var buffer = frame.buffer
        let limits = ReplicaFetchProtocol.Limits(maxRecordsBytes: 0)
        do {
            _ = try RequestHeader(from: &buffer, headerVersion: 1, limits: .default)
            guard ReplicaFetchProtocol.supportedVersions.contains(frame.apiVersion) else {
                return eventLoop.makeSucceededFuture(
                    respond(correlationId: frame.correlationId, error: .unsupportedVersion, entries: []))
            }
            let request = try ReplicaFetchRequest(from: &buffer, version: frame.apiVersion, limits: limits)
            return serveReplicaFetch(request, correlationId: frame.correlationId, eventLoop: eventLoop)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func serveReplicaFetch(
        _ request: ReplicaFetchRequest, correlationId: Int32, eventLoop: any EventLoop
    ) -> EventLoopFuture<NetworkResponse?> {
        let replica = request.replicaID
        let liveEpoch = endpoints.liveBrokerEpoch(of: replica)
        guard endpoints.isLive(replica), liveEpoch.map({ request.brokerEpoch >= $0 }) ?? true else {
            logger.info(
                "refusing replica fetch from a broker that is not live with this epoch",
                metadata: ["replica": "\(replica)", "brokerEpoch": "\(request.brokerEpoch)"])
            return eventLoop.makeSucceededFuture(
                respond(correlationId: correlationId, error: .staleBrokerEpoch, entries: []))
        }
        let nowMs = MonotonicClock.nowMs()
        var checks: [Partition.ReplicaFetchCheck] = []
        var advanced: [TopicPartition] = []
        for item in request.partitions {
            guard let partition = partition(item.topicPartition) else {
                checks.append(.error(.notLeaderOrFollower))
                continue
            }
            let check = partition.checkReplicaFetch(
                replica: replica, brokerEpoch: request.brokerEpoch, currentLeaderEpoch: item.currentLeaderEpoch,
                fetchOffset: item.fetchOffset, lastFetchedEpoch: item.lastFetchedEpoch,
                followerLogStartOffset: item.logStartOffset, nowMs: nowMs)
            if case .read(let highWatermark, let proposal) = check {
                if highWatermark != nil { advanced.append(item.topicPartition) }
                if let proposal { submitProposal(item.topicPartition, proposal) }
            }
            checks.append(check)
        }
        for tp in advanced { highWatermarkAdvanced(tp) }
        let entries = readForReplica(request, checks: checks)
        let bytes = entries.reduce(0) { $0 + $1.records.byteCount }
        let answerNow = checks.contains { if case .read = $0 { false } else { true } }
        if request.maxWaitMs <= 0 || bytes >= Int(request.minBytes) || answerNow || request.partitions.isEmpty {
            return eventLoop.makeSucceededFuture(
                respond(correlationId: correlationId, error: .noError, entries: entries))
        }
        for entry in entries { if case .file(let region) = entry.records { try? region.fileHandle.close() } }
        let promise = eventLoop.makePromise(of: NetworkResponse?.self)
        let finalChecks = checks
        let operation = DelayedFetch(
            isSatisfied: { [weak self] in self?.replicaFetchSatisfied(request) ?? true },
            respond: { [weak self] in
                guard let self else { return promise.succeed(nil) }
                let entries = self.readForReplica(request, checks: self.recheck(request, finalChecks))
                promise.succeed(self.respond(correlationId: correlationId, error: .noError, entries: entries))
            })
        if !fetchPurgatory.tryCompleteElseWatch(operation, keys: request.partitions.map(\.topicPartition)) {
            operation.scheduleTimeout(on: eventLoop, afterMs: Int64(request.maxWaitMs))
        }
        return promise.futureResult
    }

    /// Reads what each partition that passed its checks has from its fetch offset up to the log end offset, within
    /// the request's byte bounds (the first batch whatever its size); other partitions carry their error or
    /// diverging epoch.
    func readForReplica(_ request: ReplicaFetchRequest, checks: [Partition.ReplicaFetchCheck])
        -> [ReplicaFetchResponseWriter.Entry]
    {
        var remainingBytes = max(0, Int(request.maxBytes))
        var minOneBatch = true
        return zip(request.partitions, checks).map { item, check in
            let tp = item.topicPartition
            let log = partition(tp)?.log
            var data = ReplicaFetchResponse.PartitionData(
                topicPartition: tp, error: .noError, highWatermark: log?.highWatermark ?? .none,
                logStartOffset: log?.logStartOffset ?? .none, logEndOffset: log?.logEndOffset ?? .none)
            switch check {
            case .error(let code):
                data.error = code
                return .init(data: data, records: .none)
            case .diverging(let diverging):
                data.divergingEpoch = diverging
                return .init(data: data, records: .none)
            case .read:
                break
            }
            guard let log else {
                data.error = .notLeaderOrFollower
                return .init(data: data, records: .none)
            }
            do throws(LogError) {
                let read = try log.read(
                    from: item.fetchOffset, maxBytes: min(max(0, Int(item.partitionMaxBytes)), remainingBytes),
                    maxOffset: nil, minOneBatch: minOneBatch)
                data.highWatermark = read.highWatermark
                data.logStartOffset = read.logStartOffset
                data.logEndOffset = read.logEndOffset
                guard let (region, _) = try read.makeFileRegion() else { return .init(data: data, records: .none) }
                minOneBatch = false
                remainingBytes = max(0, remainingBytes - read.lengthBytes)
                return .init(data: data, records: .file(region))
            } catch {
                data.error = ErrorCode(error.kafkaErrorCode)
                return .init(data: data, records: .none)
            }
        }
    }

    /// The checks of a fetch that waited, redone for leadership: a partition that lost its leadership or changed
    /// epoch meanwhile answers with that error instead of records.
    private func recheck(_ request: ReplicaFetchRequest, _ checks: [Partition.ReplicaFetchCheck])
        -> [Partition.ReplicaFetchCheck]
    {
        zip(request.partitions, checks).map { item, check in
            guard case .read = check else { return check }
            guard let partition = partition(item.topicPartition) else { return .error(.notLeaderOrFollower) }
            let error = partition.checkLeader(currentLeaderEpoch: item.currentLeaderEpoch)
            return error == .noError ? check : .error(error)
        }
    }

    /// A waiting replica fetch answers when a partition's leader LEO passes its fetch offset, or a partition left
    /// this broker's leadership.
    private func replicaFetchSatisfied(_ request: ReplicaFetchRequest) -> Bool {
        var accumulated = 0
        for item in request.partitions {
            guard let partition = partition(item.topicPartition), partition.isLeader,
                partition.leaderEpoch == item.currentLeaderEpoch
            else { return true }
            let end = partition.log.logEndOffset
            if item.fetchOffset > end { return true }
            guard end > item.fetchOffset else { continue }
            if request.minBytes <= 1 { return true }
            let available = try? partition.log.read(
                from: item.fetchOffset, maxBytes: max(0, Int(item.partitionMaxBytes)), maxOffset: end)
            accumulated += available?.lengthBytes ?? 0
            if accumulated >= Int(request.minBytes) { return true }
        }
        return false
    }

    func respond(correlationId: Int32, error: ErrorCode, entries: [ReplicaFetchResponseWriter.Entry])
        -> NetworkResponse
    {
        let recordBytes = entries.reduce(0) { $0 + $1.records.byteCount }
        if recordBytes > 0 { observer.servedFollower(recordBytes) }
        return NetworkResponse(
            parts: ReplicaFetchResponseWriter.parts(
                correlationId: correlationId, error: error, entries: entries, allocator: ByteBufferAllocator()))
    }
}
