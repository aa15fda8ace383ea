import KafkaProtocol

/// The API versions the broker serves, which is not the same as what it advertises (``ApiVersionTable/fjord``):
///
/// - advertised but not served: Produce 0–2 (record batch v2 only) get UNSUPPORTED_VERSION at request time;
/// - served beyond the advertised maximum: the flexible versions of the admin APIs (ElectLeaders v2,
///   IncrementalAlterConfigs v1), for clients that send them without asking; the control APIs
///   the controller sends on the inter-broker listener; SaslHandshake (answered, SASL being off).
///
/// A request for an API not listed here closes the connection, as Kafka does for APIs it does not enable.
public enum ServedVersions {
    public static let table: [ApiKey: ClosedRange<Int16>] = [
        .produce: 3...8,
        .fetch: 4...11,
        .listOffsets: 0...5,
        .metadata: 0...12,
        .leaderAndIsr: 0...7,
        .stopReplica: 0...4,
        .updateMetadata: 0...8,
        .offsetCommit: 0...7,
        .offsetFetch: 0...5,
        .findCoordinator: 0...2,
        .joinGroup: 0...5,
        .heartbeat: 0...3,
        .leaveGroup: 0...3,
        .syncGroup: 0...3,
        .describeGroups: 0...4,
        .listGroups: 0...2,
        .saslHandshake: 0...1,
        .apiVersions: 0...3,
        .createTopics: 0...4,
        .deleteTopics: 0...3,
        .initProducerId: 0...1,
        .offsetForLeaderEpoch: 0...3,
        .describeConfigs: 0...3,
        .alterConfigs: 0...1,
        .createPartitions: 0...1,
        .deleteGroups: 0...1,
        .electLeaders: 0...2,
        .incrementalAlterConfigs: 0...1,
        .alterPartitionReassignments: 0...0,
        .listPartitionReassignments: 0...0,
        .describeCluster: 0...1,
        .deleteRecords: 0...1,
    ]

    /// The APIs only the controller may send, accepted only on `inter.broker.listener.name`.
    public static let controlAPIs: Set<ApiKey> = [.leaderAndIsr, .stopReplica, .updateMetadata]

    /// Requests that may start before earlier ones on the same connection complete (responses stay in order).
    public static let pipelined: Set<Int16> = [
        ApiKey.produce.rawValue, ApiKey.fetch.rawValue, ApiKey.listOffsets.rawValue, ApiKey.metadata.rawValue,
        ApiKey.apiVersions.rawValue,
    ]

    public static func range(_ api: ApiKey) -> ClosedRange<Int16>? { table[api] }
}
