import FjordCluster
import KafkaProtocol
import Logging
import Synchronization
import Testing

@testable import FjordObservability

/// The helpers the broker and the controller wire their metrics with.
@Suite struct WiringTests {
    @Test func kafkaRequestMetricsUseKafkaNamesAndServePrivateKeys() throws {
        let metrics = FjordMetrics()
        let requests = RequestMetrics(
            metrics: metrics, served: [.produce: 3...8, .apiVersions: 0...3],
            extra: [ApiDescriptor(key: 10_000, name: "ReplicaFetch", versions: 0...0)])
        requests.api(ApiKey.produce.rawValue).record(version: 8, durationNanoseconds: 1_000, errorCode: 6)
        requests.api(ApiKey.produce.rawValue).record(version: 2, durationNanoseconds: 1_000)
        requests.api(10_000).record(version: 0, durationNanoseconds: 5_000_000)
        requests.api(10_001).record(version: 0, durationNanoseconds: 1)
        requests.api(ApiKey.fetch.rawValue).record(version: 4, durationNanoseconds: 1)  // not served: unknown

        let exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.requests, ["api": "Produce", "version": "8"]) == 1)
        #expect(exposition.value(MetricName.requests, ["api": "Produce", "version": "other"]) == 1)
        #expect(
            exposition.value(MetricName.requestErrors, ["api": "Produce", "error": "NOT_LEADER_OR_FOLLOWER"]) == 1)
        #expect(exposition.value(MetricName.requests, ["api": "ReplicaFetch", "version": "0"]) == 1)
        #expect(exposition.value("\(MetricName.requestDuration)_count", ["api": "ReplicaFetch"]) == 1)
        #expect(exposition.value(MetricName.requests, ["api": "unknown", "version": "0"]) == 1)
        #expect(exposition.value(MetricName.requests, ["api": "unknown", "version": "other"]) == 1)
        #expect(requests.api(10_000) === requests.api(10_000))
    }

    @Test func topLevelErrorCodesCountOnlyWhenSet() throws {
        let metrics = FjordMetrics()
        let requests = RequestMetrics(metrics: metrics, served: [.heartbeat: 0...4, .produce: 3...8])
        let heartbeat = requests.api(ApiKey.heartbeat.rawValue)
        heartbeat.recordTopLevelError(of: HeartbeatResponse(errorCode: ErrorCode.rebalanceInProgress.rawValue))
        heartbeat.recordTopLevelError(of: HeartbeatResponse(errorCode: 0))
        // Produce has per-partition codes only: its handler counts them, this does nothing.
        requests.api(ApiKey.produce.rawValue).recordTopLevelError(of: ProduceResponse(responses: []))

        let exposition = try Exposition(metrics.expositionText())
        #expect(
            exposition.value(MetricName.requestErrors, ["api": "Heartbeat", "error": "REBALANCE_IN_PROGRESS"]) == 1)
        #expect(!exposition.samples.contains { $0.name == MetricName.requestErrors && $0.labels["api"] == "Produce" })
    }

    @Test func healthProbeStartsUnhealthyThenFollowsItsCheck() {
        let probe = HealthProbe()
        #expect(probe.evaluate() == .unhealthy("starting"))
        let registered = Mutex(false)
        probe.set { registered.withLock { $0 } ? .healthy : .unhealthy("not registered in ZooKeeper") }
        #expect(probe.evaluate() == .unhealthy("not registered in ZooKeeper"))
        registered.withLock { $0 = true }
        #expect(probe.evaluate() == .healthy)
        probe.set(.unhealthy("shutting down"))
        #expect(probe.evaluate().detail == "shutting down")
    }

    @Test func followingASessionCountsDisconnectsAndIgnoresOlderSessions() async throws {
        let metrics = FjordMetrics()
        let zooKeeper = ZooKeeperSessionMetrics(metrics: metrics)
        let first = zooKeeper.beginSession()
        let (states, input) = AsyncStream.makeStream(of: ZooKeeperSessionStateLabel.self)
        for state in [ZooKeeperSessionStateLabel.connecting, .connected, .connecting, .connected, .connecting] {
            input.yield(state)
        }
        input.yield(.expired)
        input.finish()
        await zooKeeper.follow(states, session: first) { $0 }
        #expect(zooKeeper.current == .expired)

        // The process opened a new session; the old client's late "closed" must not hide it.
        let second = zooKeeper.beginSession()
        zooKeeper.set(.connected, session: second)
        zooKeeper.set(.closed, session: first)
        #expect(zooKeeper.current == .connected)

        let exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.zooKeeperDisconnects) == 2)
        #expect(exposition.value(MetricName.zooKeeperExpirations) == 1)
        #expect(exposition.value(MetricName.zooKeeperSessionState, ["state": "connected"]) == 1)
        #expect(exposition.value(MetricName.zooKeeperSessionState, ["state": "closed"]) == 0)
    }

    @Test func metadataOfflinePartitionsGauge() throws {
        let metrics = FjordMetrics()
        let replicas = ReplicaManagerMetrics(metrics: metrics)
        replicas.setMetadataOfflinePartitions(3)
        let exposition = try Exposition(metrics.expositionText())
        #expect(exposition.value(MetricName.metadataOfflinePartitions) == 3)
        #expect(exposition.types[MetricName.metadataOfflinePartitions] == "gauge")
    }

    @Test func warnIsAnAliasOfWarning() throws {
        let resolved = try ResolvedConfig(
            definitions: ObservabilityConfig.definitions, file: Properties.parse("log.level=WARN\n"),
            environment: [:], flags: Properties())
        #expect(try ObservabilityConfig(resolved).logLevel == .warning)
    }
}
