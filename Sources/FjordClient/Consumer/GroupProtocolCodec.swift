import FjordModel
import KafkaProtocol
import KafkaWire
import NIOCore

/// The consumer protocol's bytes inside JoinGroup (subscriptions) and SyncGroup (assignments), through the
/// generated `ConsumerProtocolSubscription`/`ConsumerProtocolAssignment`, so Java and librdkafka members of the same
/// group read them.
enum GroupProtocolCodec {
    /// Kafka's protocol type for consumer groups.
    static let protocolType = "consumer"
    static let subscriptionVersion: Int16 = 3
    static let assignmentVersion: Int16 = 3

    /// The JoinGroup metadata for one strategy. Cooperative-sticky also carries the generation in `userData` (4
    /// bytes), as Kafka's assignor does for members that read subscription v0/v1.
    static func encodeSubscription(
        topics: Set<TopicName>, ownedPartitions: [TopicPartition], generation: Int32,
        strategy: PartitionAssignmentStrategy
    ) -> ByteBuffer {
        var userData: ByteBuffer?
        if strategy == .cooperativeSticky {
            var data = ByteBuffer()
            data.writeInteger(generation)
            userData = data
        }
        let subscription = ConsumerProtocolSubscription(
            topics: topics.map(\.rawValue).sorted(), userData: userData, ownedPartitions: grouped(ownedPartitions),
            generationId: generation, rackId: nil)
        var buffer = ByteBuffer()
        subscription.writeVersionPrefixed(to: &buffer, version: subscriptionVersion)
        return buffer
    }

    /// A member's subscription from its JoinGroup metadata (any version; later versions only add fields).
    static func decodeSubscription(memberId: String, groupInstanceId: String?, metadata: ByteBuffer)
        throws(KafkaClientError) -> GroupMemberSubscription
    {
        var buffer = metadata
        let decoded: (version: Int16, value: ConsumerProtocolSubscription)
        do { decoded = try ConsumerProtocolSubscription.decodeVersionPrefixed(from: &buffer, limits: .default) } catch {
            throw .decoding(error, "subscription of member \(memberId)")
        }
        let s = decoded.value
        var generation: Int32 = decoded.version >= 2 ? s.generationId : -1
        if decoded.version < 2, let userData = s.userData, userData.readableBytes == 4 {
            generation = userData.getInteger(at: userData.readerIndex, as: Int32.self) ?? -1
        }
        return GroupMemberSubscription(
            memberId: memberId, groupInstanceId: groupInstanceId, topics: Set(s.topics.map { TopicName($0) }),
            ownedPartitions: decoded.version >= 1 ? flattened(s.ownedPartitions.map { ($0.topic, $0.partitions) }) : [],
            generation: generation)
    }

    static func encodeAssignment(_ partitions: [TopicPartition]) -> ByteBuffer {
        let assignment = ConsumerProtocolAssignment(
            assignedPartitions: grouped(partitions).map {
                ConsumerProtocolAssignment.TopicPartition(topic: $0.topic, partitions: $0.partitions)
            }, userData: nil)
        var buffer = ByteBuffer()
        assignment.writeVersionPrefixed(to: &buffer, version: assignmentVersion)
        return buffer
    }

    /// The partitions in a SyncGroup assignment; an empty buffer means none.
    static func decodeAssignment(_ bytes: ByteBuffer) throws(KafkaClientError) -> [TopicPartition] {
        guard bytes.readableBytes > 0 else { return [] }
        var buffer = bytes
        do {
            let decoded = try ConsumerProtocolAssignment.decodeVersionPrefixed(from: &buffer, limits: .default)
            return flattened(decoded.value.assignedPartitions.map { ($0.topic, $0.partitions) })
        } catch {
            throw .decoding(error, "the group assignment")
        }
    }

    private static func grouped(_ partitions: [TopicPartition]) -> [ConsumerProtocolSubscription.TopicPartition] {
        var byTopic: [TopicName: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition.rawValue) }
        return byTopic.keys.sorted().map {
            ConsumerProtocolSubscription.TopicPartition(topic: $0.rawValue, partitions: byTopic[$0]!.sorted())
        }
    }

    private static func flattened(_ items: [(String, [Int32])]) -> [TopicPartition] {
        items.flatMap { topic, partitions in partitions.map { TopicPartition(TopicName(topic), PartitionID($0)) } }
            .sorted()
    }
}
