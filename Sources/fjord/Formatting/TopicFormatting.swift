import FjordClient
import FjordModel

/// `kafka-topics.sh --describe` output.
enum TopicFormatting {
    /// The topic line, then one line per partition (optionally only some partitions).
    static func describe(
        _ topic: TopicMetadata, overrides: [ConfigEntry], partitions filter: ((PartitionMetadata) -> Bool)? = nil
    ) -> [String] {
        let configs = overrides.filter(\.isTopicOverride).map {
            "\($0.name)=\($0.isSensitive ? "<redacted>" : $0.value ?? "null")"
        }
        var lines: [String] = []
        let selected = topic.partitions.filter { filter?($0) ?? true }
        if filter == nil {
            lines.append(
                "Topic: \(topic.name)\tPartitionCount: \(topic.partitions.count)\t"
                    + "ReplicationFactor: \(topic.replicationFactor)\tConfigs: \(configs.joined(separator: ","))")
        }
        for p in selected {
            lines.append(partitionLine(topic.name, p))
        }
        return lines
    }

    static func partitionLine(_ topic: TopicName, _ p: PartitionMetadata) -> String {
        var line =
            "\tTopic: \(topic)\tPartition: \(p.partition)\tLeader: \(p.leader.map { "\($0)" } ?? "none")\t"
            + "Replicas: \(ids(p.replicas))\tIsr: \(ids(p.isr))"
        if !p.offlineReplicas.isEmpty { line += "\tOffline: \(ids(p.offlineReplicas))" }
        return line
    }

    static func ids(_ brokers: [BrokerID]) -> String {
        brokers.map { String($0.rawValue) }.joined(separator: ",")
    }
}

/// `fjord cluster` output: brokers, the controller Metadata reports, partitions with their health.
enum ClusterFormatting {
    static func describe(_ cluster: ClusterDescription, onlyProblems: Bool) -> [String] {
        var lines: [String] = []
        lines.append("Cluster ID: \(cluster.clusterId ?? "unknown")")
        let active = cluster.activeController.map { "controller \($0.controllerID) at \($0.host):\($0.port)" }
        lines.append("Active controller: \(active ?? "none")")
        lines.append(
            "Controller: \(cluster.controllerId.map { "\($0)" } ?? "none") (as reported by Metadata; it takes admin requests)"
        )
        lines.append("Brokers: \(cluster.brokers.count)")
        for b in cluster.brokers {
            lines.append("\tBroker: \(b.id)\tHost: \(b.address)\tRack: \(b.rack ?? "-")")
        }
        var partitionCount = 0
        var underReplicated = 0
        var offline = 0
        var partitionLines: [String] = []
        for topic in cluster.topics where !topic.isInternal {
            for p in topic.partitions {
                partitionCount += 1
                var flags: [String] = []
                if p.isOffline {
                    offline += 1
                    flags.append("OFFLINE")
                }
                if p.isUnderReplicated {
                    underReplicated += 1
                    flags.append("UNDER-REPLICATED")
                }
                if onlyProblems && flags.isEmpty { continue }
                var line = TopicFormatting.partitionLine(topic.name, p)
                if !flags.isEmpty { line += "\t" + flags.joined(separator: ",") }
                partitionLines.append(line)
            }
        }
        lines.append("Partitions: \(partitionCount)\tUnder-replicated: \(underReplicated)\tOffline: \(offline)")
        lines += partitionLines
        return lines
    }
}
