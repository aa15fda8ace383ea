import FjordModel
import FjordStorage
import KafkaProtocol

extension ReplicaFetcher {
    /// Applies a leader's answer, partition by partition (Kafka's `processFetchRequest`).
    func process(_ response: ReplicaFetchResponse, for request: ReplicaFetchRequest) async {
        let requested = Dictionary(request.partitions.map { ($0.topicPartition, $0) }, uniquingKeysWith: { a, _ in a })
        guard response.error == .noError else {
            logger.info(
                "leader refused the replica fetch", metadata: ["leader": "\(leader)", "error": "\(response.error)"])
            backOff(request.partitions.map(\.topicPartition))
            return
        }
        var durable: [(log: PartitionLog, offset: Offset)] = []  // flush.messages=1: synced before the next fetch
        for data in response.partitions {
            guard let sent = requested[data.topicPartition], isCurrent(data.topicPartition, sent),
                let partition = partitionLookup(data.topicPartition)
            else { continue }
            switch data.error {
            case .noError:
                if let diverging = data.divergingEpoch {
                    await truncate(partition, diverging: diverging, sent: sent)
                } else if let end = append(partition, data, sent: sent), partition.log.config.syncsBeforeAcknowledge {
                    durable.append((partition.log, end))
                }
            case .offsetOutOfRange:
                await handleOutOfRange(partition, data, sent: sent)
            case .notLeaderOrFollower, .unknownLeaderEpoch:
                // The new leader has not applied its LeaderAndIsr yet (the controller's requests race): it will in
                // moments, so retry soon rather than after the full backoff — this is most of a failover's latency.
                backOff([data.topicPartition], ms: min(config.replicaFetchBackoffMs, Self.leaderChangeRetryMs))
            default:
                logger.debug(
                    "replica fetch partition error; backing off",
                    metadata: ["partition": "\(data.topicPartition)", "error": "\(data.error)"])
                backOff([data.topicPartition])
            }
        }
        // The next fetch reports these log end offsets to the leader (acks=all counts them): sync them first.
        guard !durable.isEmpty else { return }
        for (tp, error) in await PartitionLog.waitUntilDurable(durable) {
            logger.error("follower sync failed", metadata: ["partition": "\(tp)", "error": "\(error)"])
            backOff([tp])
        }
    }

    /// Appends fetched records; returns the new log end offset, or nil when nothing was appended.
    @discardableResult
    private func append(
        _ partition: Partition, _ data: ReplicaFetchResponse.PartitionData, sent: ReplicaFetchRequest.Partition
    ) -> Offset? {
        let tp = data.topicPartition
        do throws(LogError) {
            guard
                let outcome = try partition.appendRecordsAsFollower(
                    data.records, leaderEpoch: sent.currentLeaderEpoch, leaderHighWatermark: data.highWatermark,
                    leaderLogStartOffset: data.logStartOffset, now: .now())
            else { return nil }
            update(tp, expecting: sent) { state in
                state.fetchOffset = outcome.logEndOffset
                state.lastFetchedEpoch = outcome.lastFetchedEpoch
            }
            if outcome.flushNeeded {
                let log = partition.log
                blockingPool.submit { _ in try? log.flush() }
            }
            return outcome.appendedBytes > 0 ? outcome.logEndOffset : nil
        } catch {
            switch error.code {
            case .unexpectedAppendOffset, .offsetsOutOfOrder:
                // Our log moved under the request (truncated meanwhile): fetch again from its end.
                logger.info(
                    "follower append out of place; resyncing", metadata: ["partition": "\(tp)", "error": "\(error)"])
                resync(partition, sent: sent)
                backOff([tp])
            case .closed:
                // The partition was stopped or deleted while the response was in flight.
                logger.debug("follower append to a closed log dropped", metadata: ["partition": "\(tp)"])
                backOff([tp])
            default:
                logger.error("follower append failed", metadata: ["partition": "\(tp)", "error": "\(error)"])
                backOff([tp])
            }
            return nil
        }
    }

    /// The leader says our log diverges: truncate by leader epoch (never to our HW), then fetch from the new end.
    private func truncate(_ partition: Partition, diverging: DivergingEpoch, sent: ReplicaFetchRequest.Partition) async
    {
        let log = partition.log
        guard
            let target = FollowerTruncation.offset(
                diverging: diverging, logEndOffset: log.logEndOffset, localEndOffset: { log.endOffset(for: $0) })
        else {
            logger.info(
                "leader sent an unusable diverging epoch; backing off",
                metadata: ["partition": "\(partition.topicPartition)", "diverging": "\(diverging)"])
            backOff([partition.topicPartition])
            return
        }
        logger.info(
            "truncating diverging follower log",
            metadata: [
                "partition": "\(partition.topicPartition)", "leaderDiverging": "\(diverging)", "to": "\(target)",
                "logEndOffset": "\(log.logEndOffset)",
            ])
        let before = (log.logEndOffset, log.latestEpoch)
        await blocking(partition, sent: sent) {
            try partition.truncateAsFollower(to: target, leaderEpoch: sent.currentLeaderEpoch)
        }
        if (log.logEndOffset, log.latestEpoch) == before, !Task.isCancelled {
            // Nothing changed, so the next fetch would get the same answer: wait instead of spinning.
            logger.warning(
                "diverging-epoch truncation changed nothing; backing off",
                metadata: ["partition": "\(partition.topicPartition)", "diverging": "\(diverging)"])
            backOff([partition.topicPartition])
        }
    }

    /// OFFSET_OUT_OF_RANGE: ahead of the leader's end (after an unclean election) → truncate to it; below the
    /// leader's log start → start over empty there.
    private func handleOutOfRange(
        _ partition: Partition, _ data: ReplicaFetchResponse.PartitionData, sent: ReplicaFetchRequest.Partition
    ) async {
        let epoch = sent.currentLeaderEpoch
        if data.logEndOffset.rawValue >= 0, sent.fetchOffset > data.logEndOffset {
            logger.warning(
                "follower ahead of the leader's log end; truncating",
                metadata: ["partition": "\(partition.topicPartition)", "leaderLogEndOffset": "\(data.logEndOffset)"])
            await blocking(partition, sent: sent) {
                try partition.truncateAsFollower(to: data.logEndOffset, leaderEpoch: epoch)
            }
        } else if data.logStartOffset.rawValue >= 0, sent.fetchOffset < data.logStartOffset {
            logger.info(
                "follower below the leader's log start; restarting the log there",
                metadata: [
                    "partition": "\(partition.topicPartition)", "leaderLogStartOffset": "\(data.logStartOffset)",
                ])
            await blocking(partition, sent: sent) {
                try partition.truncateFullyAsFollower(startingAt: data.logStartOffset, leaderEpoch: epoch)
            }
        } else {
            backOff([partition.topicPartition])
        }
    }

    /// Runs a truncation on the blocking pool, then fetches from the log's new end.
    private func blocking(
        _ partition: Partition, sent: ReplicaFetchRequest.Partition, _ body: @escaping @Sendable () throws -> Bool
    ) async {
        do {
            guard try await blockingPool.runIfActive(body) else { return }
            resync(partition, sent: sent)
        } catch is CancellationError {
            // The fetcher is stopping (the partition moved or the broker shuts down): nothing was truncated.
            logger.debug("follower truncation cancelled", metadata: ["partition": "\(partition.topicPartition)"])
        } catch {
            logger.error(
                "follower truncation failed",
                metadata: ["partition": "\(partition.topicPartition)", "error": "\(error)"])
            backOff([partition.topicPartition])
        }
    }

    private func resync(_ partition: Partition, sent: ReplicaFetchRequest.Partition) {
        let log = partition.log
        update(partition.topicPartition, expecting: sent) { state in
            state.fetchOffset = log.logEndOffset
            state.lastFetchedEpoch = log.latestEpoch
        }
    }
}
