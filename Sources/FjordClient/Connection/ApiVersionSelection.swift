import KafkaProtocol

/// The API versions FjordClient speaks, and the choice of one version per API for a given broker.
///
/// The client's range per API is what its request builders fill correctly (they set the fields each version has).
/// Against a broker the version used is `min(client max, broker max)`, provided it is at least
/// `max(client min, broker min)`; otherwise the API is unusable with that broker.
public struct ApiVersionSelection: Sendable, Hashable {
    /// What FjordClient can send, per API. Maxima are the last non-flexible versions (what Fjord brokers advertise),
    /// except ApiVersions v3.
    public static let clientRanges: [ApiKey: ClosedRange<Int16>] = [
        .produce: 3...8,
        .fetch: 4...11,
        .listOffsets: 1...5,
        .metadata: 0...8,
        .offsetCommit: 2...7,
        .offsetFetch: 1...5,
        .findCoordinator: 0...2,
        .joinGroup: 0...5,
        .heartbeat: 0...3,
        .leaveGroup: 0...3,
        .syncGroup: 0...3,
        .describeGroups: 0...4,
        .listGroups: 0...2,
        .apiVersions: 0...3,
        .createTopics: 0...4,
        .deleteTopics: 0...3,
        .deleteGroups: 0...1,
        .initProducerId: 0...1,
        .describeConfigs: 0...3,
        .alterConfigs: 0...1,
        .createPartitions: 0...1,
        .describeCluster: 0...1,
    ]

    /// The chosen version per API key raw value; -1 where the API cannot be used.
    private var chosen: [Int16]

    /// The versions to use with a broker that advertised `brokerRanges`.
    public init(brokerRanges: [ApiVersionsResponse.ApiVersion]) {
        var chosen = [Int16](repeating: -1, count: Int(ApiKey.allCases.map(\.rawValue).max()!) + 1)
        for entry in brokerRanges {
            guard let key = ApiKey(rawValue: entry.apiKey), let client = Self.clientRanges[key] else { continue }
            guard entry.minVersion <= entry.maxVersion else { continue }
            let version = min(client.upperBound, entry.maxVersion)
            if version >= max(client.lowerBound, entry.minVersion) {
                chosen[Int(key.rawValue)] = version
            }
        }
        self.chosen = chosen
    }

    /// The version to use for `apiKey`, or nil when this broker and this client share none.
    public func version(for apiKey: ApiKey) -> Int16? {
        let v = chosen[Int(apiKey.rawValue)]
        return v >= 0 ? v : nil
    }
}
