import FjordCluster
import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// Encodes the core's control requests as Kafka's generated messages, and reads the answers.
///
/// Versions are the ones Kafka 3.9's ZooKeeper-mode controller sends (inter-broker protocol 3.4+): LeaderAndIsr v7,
/// UpdateMetadata v8, StopReplica v4. All three group partitions by topic *name* and also carry topic ids; all are
/// flexible (request header v2, response header v1). Both ends are Fjord's, so these are the only versions the
/// controller sends (docs/controller.md).
enum ControlRequestCodec {
    static let leaderAndIsrVersion: Int16 = 7
    static let updateMetadataVersion: Int16 = 8
    static let stopReplicaVersion: Int16 = 4

    /// A request ready to send: API key, version, header version and encoded body.
    struct Encoded: Sendable {
        var apiKey: ApiKey
        var version: Int16
        var headerVersion: Int16
        var body: ByteBuffer
    }

    static func encode(_ request: ControlRequest, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> Encoded {
        switch request {
        case .leaderAndIsr(let header, let partitions, let topicIDs, let liveLeaders):
            let message = leaderAndIsr(header, partitions, topicIDs, liveLeaders)
            return Encoded(
                apiKey: .leaderAndIsr, version: leaderAndIsrVersion,
                headerVersion: LeaderAndIsrRequest.headerVersion(for: leaderAndIsrVersion),
                body: message.encoded(version: leaderAndIsrVersion, allocator: allocator))
        case .updateMetadata(let header, let partitions, let topicIDs, let liveBrokers):
            let message = updateMetadata(header, partitions, topicIDs, liveBrokers)
            return Encoded(
                apiKey: .updateMetadata, version: updateMetadataVersion,
                headerVersion: UpdateMetadataRequest.headerVersion(for: updateMetadataVersion),
                body: message.encoded(version: updateMetadataVersion, allocator: allocator))
        case .stopReplica(let header, let partitions):
            let message = stopReplica(header, partitions)
            return Encoded(
                apiKey: .stopReplica, version: stopReplicaVersion,
                headerVersion: StopReplicaRequest.headerVersion(for: stopReplicaVersion),
                body: message.encoded(version: stopReplicaVersion, allocator: allocator))
        }
    }

    static func leaderAndIsr(
        _ header: ControlRequestHeader, _ partitions: [LeaderAndIsrPartitionState], _ topicIDs: [TopicName: String],
        _ liveLeaders: [LiveBroker]
    ) -> LeaderAndIsrRequest {
        let byTopic = Dictionary(grouping: partitions, by: \.topicPartition.topic)
        let topicStates = byTopic.keys.sorted().map { topic in
            LeaderAndIsrRequest.LeaderAndIsrTopicState(
                topicName: topic.rawValue, topicId: uuid(topicIDs[topic]),
                partitionStates: byTopic[topic]!.map { p in
                    LeaderAndIsrRequest.LeaderAndIsrPartitionState(
                        partitionIndex: p.topicPartition.partition.rawValue,
                        controllerEpoch: p.state.controllerEpoch.rawValue, leader: p.state.leader.rawValue,
                        leaderEpoch: p.state.leaderEpoch.rawValue, isr: p.state.isr.map(\.rawValue),
                        partitionEpoch: p.state.partitionEpoch.rawValue,
                        replicas: p.assignment.replicas.map(\.rawValue),
                        addingReplicas: p.assignment.adding.map(\.rawValue),
                        removingReplicas: p.assignment.removing.map(\.rawValue), isNew: p.isNew,
                        leaderRecoveryState: p.state.leaderRecoveryState)
                })
        }
        let leaders = liveLeaders.compactMap { broker -> LeaderAndIsrRequest.LeaderAndIsrLiveLeader? in
            guard let endpoint = broker.registration.interBrokerEndpoint else { return nil }
            return LeaderAndIsrRequest.LeaderAndIsrLiveLeader(
                brokerId: broker.id.rawValue, hostName: endpoint.host, port: Int32(endpoint.port))
        }
        return LeaderAndIsrRequest(
            controllerId: header.controllerID, controllerEpoch: header.controllerEpoch.rawValue,
            brokerEpoch: header.brokerEpoch.rawValue, topicStates: topicStates, liveLeaders: leaders)
    }

    static func updateMetadata(
        _ header: ControlRequestHeader, _ partitions: [UpdateMetadataPartitionState], _ topicIDs: [TopicName: String],
        _ liveBrokers: [LiveBroker]
    ) -> UpdateMetadataRequest {
        let byTopic = Dictionary(grouping: partitions, by: \.topicPartition.topic)
        let topicStates = byTopic.keys.sorted().map { topic in
            UpdateMetadataRequest.UpdateMetadataTopicState(
                topicName: topic.rawValue, topicId: uuid(topicIDs[topic]),
                partitionStates: byTopic[topic]!.map { p in
                    UpdateMetadataRequest.UpdateMetadataPartitionState(
                        partitionIndex: p.topicPartition.partition.rawValue,
                        controllerEpoch: p.controllerEpoch.rawValue,
                        leader: p.leader.rawValue, leaderEpoch: p.leaderEpoch.rawValue, isr: p.isr.map(\.rawValue),
                        zkVersion: p.partitionEpoch.rawValue, replicas: p.replicas.map(\.rawValue),
                        offlineReplicas: p.offlineReplicas.map(\.rawValue))
                })
        }
        let brokers = liveBrokers.map { broker in
            UpdateMetadataRequest.UpdateMetadataBroker(
                id: broker.id.rawValue,
                endpoints: broker.registration.parsedEndpoints.map { endpoint in
                    UpdateMetadataRequest.UpdateMetadataEndpoint(
                        port: Int32(endpoint.port), host: endpoint.host, listener: endpoint.listenerName,
                        securityProtocol: securityProtocol(
                            broker.registration.listenerSecurityProtocolMap[endpoint.listenerName]))
                }, rack: broker.registration.rack)
        }
        return UpdateMetadataRequest(
            controllerId: header.controllerID, controllerEpoch: header.controllerEpoch.rawValue,
            brokerEpoch: header.brokerEpoch.rawValue, topicStates: topicStates, liveBrokers: brokers)
    }

    static func stopReplica(_ header: ControlRequestHeader, _ partitions: [StopReplicaPartitionState])
        -> StopReplicaRequest
    {
        let byTopic = Dictionary(grouping: partitions, by: \.topicPartition.topic)
        let topicStates = byTopic.keys.sorted().map { topic in
            StopReplicaRequest.StopReplicaTopicState(
                topicName: topic.rawValue,
                partitionStates: byTopic[topic]!.map { p in
                    StopReplicaRequest.StopReplicaPartitionState(
                        partitionIndex: p.topicPartition.partition.rawValue, leaderEpoch: p.leaderEpoch.rawValue,
                        deletePartition: p.deletePartition)
                })
        }
        return StopReplicaRequest(
            controllerId: header.controllerID, controllerEpoch: header.controllerEpoch.rawValue,
            brokerEpoch: header.brokerEpoch.rawValue, topicStates: topicStates)
    }

    /// Kafka's security protocol ids: PLAINTEXT 0, SSL 1, SASL_PLAINTEXT 2, SASL_SSL 3.
    static func securityProtocol(_ name: String?) -> Int16 {
        switch name?.uppercased() {
        case "SSL": 1
        case "SASL_PLAINTEXT": 2
        case "SASL_SSL": 3
        default: 0
        }
    }

    static func uuid(_ text: String?) -> KafkaUUID { text.flatMap { KafkaUUID(base64URL: $0) } ?? .zero }

    /// The error codes in a response to `request`: the top-level one and one per partition (StopReplica only).
    static func decodeResponse(_ request: ControlRequest, _ frame: ByteBuffer) throws
        -> (error: Int16, partitions: [TopicPartition: Int16])
    {
        var buffer = frame
        _ = try buffer.readUnknownTaggedFields(limits: .default)  // response header v1
        switch request {
        case .leaderAndIsr:
            let response = try LeaderAndIsrResponse(from: &buffer, version: leaderAndIsrVersion)
            return (response.errorCode, [:])
        case .updateMetadata:
            let response = try UpdateMetadataResponse(from: &buffer, version: updateMetadataVersion)
            return (response.errorCode, [:])
        case .stopReplica:
            let response = try StopReplicaResponse(from: &buffer, version: stopReplicaVersion)
            var partitions: [TopicPartition: Int16] = [:]
            for p in response.partitionErrors {
                partitions[TopicPartition(topic: p.topicName, partition: p.partitionIndex)] = p.errorCode
            }
            return (response.errorCode, partitions)
        }
    }
}
