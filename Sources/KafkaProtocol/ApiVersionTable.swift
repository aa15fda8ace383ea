/// The API versions a Fjord broker advertises in its ApiVersions response (PROFILE.md, "What to advertise").
///
/// One coherent table that looks like a real Kafka release: minimum 0 wherever librdkafka 2.0.2 pins v0 (it
/// disables compression unless Produce's minimum is 0, and group consumption unless the group APIs include v0),
/// maximum the last non-flexible version except ApiVersions v3. With it, kafka-python guesses broker 2.4.
/// Advertised is not the same as served: a handler answers an advertised version it does not implement (Produce
/// 0-2) with UNSUPPORTED_VERSION, never by closing the connection.
public struct ApiVersionTable: Hashable, Sendable {
    /// One advertised API.
    public struct Entry: Hashable, Sendable {
        public var apiKey: ApiKey
        public var versions: ClosedRange<Int16>

        public init(apiKey: ApiKey, versions: ClosedRange<Int16>) {
            self.apiKey = apiKey
            self.versions = versions
        }
    }

    /// The advertised APIs in ascending API-key order.
    public let entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries.sorted { $0.apiKey.rawValue < $1.apiKey.rawValue }
    }

    /// Fjord's table; SaslHandshake and SaslAuthenticate (0-1) appear only when SASL is enabled.
    public static func fjord(saslEnabled: Bool) -> ApiVersionTable {
        var entries: [Entry] = [
            Entry(apiKey: .apiVersions, versions: 0...3),
            Entry(apiKey: .metadata, versions: 0...8),
            Entry(apiKey: .produce, versions: 0...8),
            Entry(apiKey: .fetch, versions: 4...11),
            Entry(apiKey: .listOffsets, versions: 0...5),
            Entry(apiKey: .findCoordinator, versions: 0...2),
            Entry(apiKey: .joinGroup, versions: 0...5),
            Entry(apiKey: .syncGroup, versions: 0...3),
            Entry(apiKey: .heartbeat, versions: 0...3),
            Entry(apiKey: .leaveGroup, versions: 0...3),
            Entry(apiKey: .offsetCommit, versions: 0...7),
            Entry(apiKey: .offsetFetch, versions: 0...5),
            Entry(apiKey: .offsetForLeaderEpoch, versions: 0...3),
            Entry(apiKey: .createTopics, versions: 0...4),
            Entry(apiKey: .deleteTopics, versions: 0...3),
            Entry(apiKey: .describeConfigs, versions: 0...3),
            Entry(apiKey: .createPartitions, versions: 0...1),
            Entry(apiKey: .deleteGroups, versions: 0...1),
            Entry(apiKey: .alterConfigs, versions: 0...1),
            Entry(apiKey: .listGroups, versions: 0...2),
            Entry(apiKey: .describeGroups, versions: 0...4),
            Entry(apiKey: .initProducerId, versions: 0...1),
            // Admin APIs Kafka's own tools need (kafka-configs.sh alters with IncrementalAlterConfigs,
            // kafka-reassign-partitions.sh and kafka-leader-election.sh refuse to run unless these are advertised).
            // Kafka 2.4 had all but DescribeCluster; none of them is a version probe of kafka-python's guess. As
            // above, the last non-flexible version; for the APIs flexible from the start, v0 — except DescribeCluster
            // 0–1: kafka-python 3.0 reads v1's `endpoint_type` whatever version it sent.
            Entry(apiKey: .deleteRecords, versions: 0...1),
            Entry(apiKey: .electLeaders, versions: 0...1),
            Entry(apiKey: .incrementalAlterConfigs, versions: 0...0),
            Entry(apiKey: .alterPartitionReassignments, versions: 0...0),
            Entry(apiKey: .listPartitionReassignments, versions: 0...0),
            Entry(apiKey: .describeCluster, versions: 0...1),
        ]
        if saslEnabled {
            entries.append(Entry(apiKey: .saslHandshake, versions: 0...1))
            entries.append(Entry(apiKey: .saslAuthenticate, versions: 0...1))
        }
        return ApiVersionTable(entries: entries)
    }

    /// Fjord's table without SASL.
    public static let fjord = ApiVersionTable.fjord(saslEnabled: false)

    /// The advertised versions of `apiKey`, nil when the API is not advertised.
    public func advertisedRange(for apiKey: ApiKey) -> ClosedRange<Int16>? {
        entries.first { $0.apiKey == apiKey }?.versions
    }

    /// Whether `version` of `apiKey` is advertised.
    public func isAdvertised(_ apiKey: ApiKey, version: Int16) -> Bool {
        advertisedRange(for: apiKey)?.contains(version) ?? false
    }

    /// The table as the `api_keys` array of an ApiVersions response.
    public var responseEntries: [ApiVersionsResponse.ApiVersion] {
        entries.map {
            ApiVersionsResponse.ApiVersion(
                apiKey: $0.apiKey.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound)
        }
    }
}
