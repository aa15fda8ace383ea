import Metrics
import Synchronization
import Testing

@testable import FjordObservability

@Suite struct MetricsExpositionTests {
    static let apis = [
        ApiDescriptor(key: 0, name: "Produce", versions: 3...11),
        ApiDescriptor(key: 1, name: "Fetch", versions: 4...16),
        ApiDescriptor(key: 18, name: "ApiVersions", versions: 0...4),
    ]

    static func errorName(_ code: Int16) -> String {
        switch code {
        case 6: "NOT_LEADER_OR_FOLLOWER"
        case 35: "UNSUPPORTED_VERSION"
        default: "CODE_\(code)"
        }
    }

    @Test func requestCountsErrorsAndLatencyPerApi() throws {
        let metrics = FjordMetrics()
        let requests = RequestMetrics(metrics: metrics, apis: Self.apis, errorName: Self.errorName)
        let produce = requests.api(0)
        produce.record(version: 9, durationNanoseconds: 300_000)  // 0.3 ms
        produce.record(version: 9, durationNanoseconds: 2_000_000)  // 2 ms
        produce.record(version: 11, durationNanoseconds: 40_000_000, errorCode: 6)
        produce.recordError(6, count: 2)
        requests.api(18).record(version: 7, durationNanoseconds: 100_000, errorCode: 35)  // unsupported version
        requests.api(99).record(version: 0, durationNanoseconds: 1_000)  // unknown API key
        requests.api(-5).record(version: 0, durationNanoseconds: 1_000)

        let text = metrics.expositionText()
        let exposition = try Exposition(text)
        #expect(exposition.types[MetricName.requests] == "counter")
        #expect(exposition.types[MetricName.requestDuration] == "histogram")
        #expect(exposition.help[MetricName.requests] != nil)
        #expect(exposition.value(MetricName.requests, ["api": "Produce", "version": "9"]) == 2)
        #expect(exposition.value(MetricName.requests, ["api": "Produce", "version": "11"]) == 1)
        #expect(exposition.value(MetricName.requests, ["api": "ApiVersions", "version": "other"]) == 1)
        #expect(exposition.value(MetricName.requests, ["api": "unknown", "version": "0"]) == 2)
        #expect(
            exposition.value(MetricName.requestErrors, ["api": "Produce", "error": "NOT_LEADER_OR_FOLLOWER"]) == 3)
        #expect(
            exposition.value(MetricName.requestErrors, ["api": "ApiVersions", "error": "UNSUPPORTED_VERSION"]) == 1)
        // Fetch saw no traffic: no series.
        #expect(!exposition.samples.contains { $0.labels["api"] == "Fetch" })

        let bucket = "\(MetricName.requestDuration)_bucket"
        #expect(exposition.value(bucket, ["api": "Produce", "le": "0.0005"]) == 1)
        #expect(exposition.value(bucket, ["api": "Produce", "le": "0.0025"]) == 2)
        #expect(exposition.value(bucket, ["api": "Produce", "le": "0.05"]) == 3)
        #expect(exposition.value(bucket, ["api": "Produce", "le": "+Inf"]) == 3)
        #expect(exposition.value("\(MetricName.requestDuration)_count", ["api": "Produce"]) == 3)
        let sum = try #require(exposition.value("\(MetricName.requestDuration)_sum", ["api": "Produce"]))
        #expect(abs(sum - 0.0423) < 1e-9)
    }

    @Test func requestMetricsAreCachedNotRecreated() {
        let metrics = FjordMetrics()
        let requests = RequestMetrics(metrics: metrics, apis: Self.apis)
        #expect(requests.api(0) === requests.api(0))
        #expect(requests.api(0).requests(version: 5) === requests.api(0).requests(version: 5))
        #expect(requests.api(0).errors(6) === requests.api(0).errors(6))
        #expect(requests.api(0).errors(-1) !== requests.api(0).errors(300))
        #expect(requests.api(500) === requests.unknown)
    }

    @Test func connectionsTopicsAndReplicaManager() throws {
        let metrics = FjordMetrics()
        let requests = RequestMetrics(metrics: metrics, apis: Self.apis)
        requests.connectionOpened()
        requests.connectionOpened()
        requests.connectionClosed()
        let topics = TopicMetricsRegistry(metrics: metrics)
        let orders = topics.topic("orders")
        #expect(topics.topic("orders") === orders)
        orders.recordAppend(bytes: 1000, records: 10)
        orders.recordAppend(bytes: 24, records: 1)
        orders.recordFetch(bytes: 512)
        topics.topic("audit.log").recordAppend(bytes: 7, records: 1)
        let replicas = ReplicaManagerMetrics(metrics: metrics)
        replicas.setPartitionCounts(replicas: 12, leaders: 4, underReplicated: 1, underMinIsr: 0)
        replicas.recordIsrShrink()
        replicas.recordIsrShrink(partitions: 2)
        replicas.recordIsrExpand()
        replicas.recordFollowerFetch(bytes: 100)
        replicas.recordLeaderServedFollower(bytes: 200)

        var exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.connections) == 1)
        #expect(exposition.value(MetricName.connectionsCreated) == 2)
        #expect(exposition.value(MetricName.topicBytesIn, ["topic": "orders"]) == 1024)
        #expect(exposition.value(MetricName.topicMessagesIn, ["topic": "orders"]) == 11)
        #expect(exposition.value(MetricName.topicBytesOut, ["topic": "orders"]) == 512)
        #expect(exposition.value(MetricName.topicBytesIn, ["topic": "audit.log"]) == 7)
        #expect(exposition.value(MetricName.partitions) == 12)
        #expect(exposition.value(MetricName.leaderPartitions) == 4)
        #expect(exposition.value(MetricName.underReplicatedPartitions) == 1)
        #expect(exposition.value(MetricName.underMinIsrPartitions) == 0)
        #expect(exposition.value(MetricName.isrShrinks) == 3)
        #expect(exposition.value(MetricName.isrExpands) == 1)
        #expect(exposition.value(MetricName.replicationBytesIn) == 100)
        #expect(exposition.value(MetricName.replicationBytesOut) == 200)

        topics.remove(topic: "orders")
        exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.topicBytesIn, ["topic": "orders"]) == nil)
        #expect(exposition.value(MetricName.topicBytesIn, ["topic": "audit.log"]) == 7)
    }

    @Test func controllerGauges() throws {
        let metrics = FjordMetrics()
        let controller = ControllerMetrics(metrics: metrics)
        var exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.controllerActive) == 0)

        controller.becameActive(epoch: 7)
        controller.setClusterState(
            offlinePartitions: 2, preferredReplicaImbalance: 3, partitions: 30, topics: 4, liveBrokers: 3)
        controller.recordLeaderElections(.clean, count: 5)
        controller.recordLeaderElections(.controlledShutdown)
        controller.recordLeaderElections(.unclean, count: 0)
        controller.recordEvent("BrokerChange", seconds: 0.02)
        controller.recordEvent("BrokerChange", seconds: 2)
        exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.controllerActive) == 1)
        #expect(exposition.value(MetricName.controllerEpoch) == 7)
        #expect(exposition.value(MetricName.offlinePartitions) == 2)
        #expect(exposition.value(MetricName.preferredReplicaImbalance) == 3)
        #expect(exposition.value(MetricName.globalPartitions) == 30)
        #expect(exposition.value(MetricName.globalTopics) == 4)
        #expect(exposition.value(MetricName.liveBrokers) == 3)
        #expect(exposition.value(MetricName.leaderElections, ["kind": "clean"]) == 5)
        #expect(exposition.value(MetricName.leaderElections, ["kind": "controlled_shutdown"]) == 1)
        #expect(exposition.value(MetricName.leaderElections, ["kind": "unclean"]) == 0)
        #expect(exposition.value("\(MetricName.controllerEventDuration)_count", ["event": "BrokerChange"]) == 2)

        controller.resigned()
        exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.controllerActive) == 0)
        #expect(exposition.value(MetricName.offlinePartitions) == 0)
    }

    @Test func zooKeeperSessionStateIsOneHot() throws {
        let metrics = FjordMetrics()
        let session = ZooKeeperSessionMetrics(metrics: metrics)
        func states() throws -> [String: Double] {
            let exposition = try Exposition(metrics.expositionText())
            var result: [String: Double] = [:]
            for sample in exposition.samples where sample.name == MetricName.zooKeeperSessionState {
                result[sample.labels["state"]!] = sample.value
            }
            return result
        }
        #expect(
            try states() == [
                "connecting": 1, "connected": 0, "connected_read_only": 0, "expired": 0,
                "auth_failed": 0, "closed": 0,
            ])
        session.set(.connected)
        session.recordDisconnect()
        session.set(.connecting)
        session.set(.expired)
        session.set(.expired)
        session.set(.connecting)
        session.set(.connected)
        let current = try states()
        #expect(current["connected"] == 1)
        #expect(current.values.reduce(0, +) == 1)
        #expect(session.current == .connected)
        let exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.zooKeeperExpirations) == 1)
        #expect(exposition.value(MetricName.zooKeeperDisconnects) == 1)
    }

    @Test func groupCoordinatorAndScrapeHooks() throws {
        let metrics = FjordMetrics()
        let groups = GroupCoordinatorMetrics(metrics: metrics)
        let replicas = ReplicaManagerMetrics(metrics: metrics)
        groups.recordRebalance()
        groups.recordRebalance()
        groups.setGroupCounts([.stable: 3, .preparingRebalance: 1])
        let partitionTable = PartitionTableStub()
        metrics.onScrape {
            let counts = partitionTable.counts()
            replicas.setPartitionCounts(
                replicas: counts.replicas, leaders: counts.leaders, underReplicated: counts.underReplicated,
                underMinIsr: 0)
        }
        let first = try Exposition(metrics.expositionText())
        #expect(first.value(MetricName.groupRebalances) == 2)
        #expect(first.value(MetricName.groups, ["state": "Stable"]) == 3)
        #expect(first.value(MetricName.groups, ["state": "PreparingRebalance"]) == 1)
        #expect(first.value(MetricName.groups, ["state": "Dead"]) == 0)
        #expect(first.value(MetricName.underReplicatedPartitions) == 1)
        let second = try Exposition(metrics.expositionText())
        #expect(second.value(MetricName.underReplicatedPartitions) == 2)  // the hook ran again
    }

    @Test func processGaugesAreFilledOnLinux() throws {
        let metrics = FjordMetrics()
        ProcessMetrics.install(on: metrics)
        let exposition = try Exposition(metrics.expositionText())
        #if os(Linux)
            #expect((exposition.value(MetricName.processResidentMemory) ?? 0) > 1_000_000)
            #expect((exposition.value(MetricName.processOpenFileDescriptors) ?? 0) >= 3)
            let start = try #require(exposition.value(MetricName.processStartTime))
            let now = Double(LogTimestamp.nowMs()) / 1000
            #expect(start > now - 86_400 && start <= now + 1)
        #endif
        #expect(exposition.types[MetricName.processCPUSeconds] == "gauge")
    }

    @Test func swiftMetricsLandInTheSameRegistry() throws {
        let metrics = FjordMetrics()
        // swift-metrics takes one bootstrap per process; this is the only test that performs it.
        guard metrics.bootstrapSwiftMetrics() else { return }
        Metrics.Counter(label: "fjord_test_library_events_total", dimensions: [("kind", "x")]).increment(by: 3)
        let exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value("fjord_test_library_events_total", ["kind": "x"]) == 3)
        #expect(!FjordMetrics().bootstrapSwiftMetrics())
    }

    @Test func everyDeclaredNameIsDistinctAndValid() {
        #expect(Set(MetricName.all).count == MetricName.all.count)
        for name in MetricName.all {
            #expect(name.hasPrefix("fjord_"))
            #expect(name.allSatisfy { $0.isLowercase || $0 == "_" })
        }
    }
}

/// Stands in for a broker's partition table: each count() sees one more under-replicated partition.
final class PartitionTableStub: Sendable {
    private let calls = Mutex(0)

    func counts() -> (replicas: Int, leaders: Int, underReplicated: Int) {
        let call = calls.withLock { value in
            value += 1
            return value
        }
        return (replicas: 6, leaders: 2, underReplicated: call)
    }
}
