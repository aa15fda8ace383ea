import FjordClient
import FjordModel

/// `kafka-consumer-groups.sh` tables: columns padded like Kafka's (`%-Ns`, at least 15 wide for names).
enum GroupFormatting {
    /// Pads `cells` to `widths` and joins them with single spaces; the last column is not padded.
    static func row(_ cells: [String], widths: [Int]) -> String {
        var out = ""
        for (i, cell) in cells.enumerated() {
            if i == cells.count - 1 {
                out += cell
            } else {
                out += cell + String(repeating: " ", count: max(0, widths[i] - cell.count)) + " "
            }
        }
        return out
    }

    /// `--describe` (offsets): a blank line, the header, one row per partition.
    static func offsets(group: String, rows: [GroupPartitionLag]) -> [String] {
        let groupWidth = max(15, group.count)
        let topicWidth = max(15, rows.map { $0.topicPartition.topic.rawValue.count }.max() ?? 0)
        let consumerWidth = max(15, rows.map { ($0.member?.memberId ?? "-").count }.max() ?? 0)
        let hostWidth = max(15, rows.map { ($0.member?.clientHost ?? "-").count }.max() ?? 0)
        let widths = [groupWidth, topicWidth, 10, 15, 15, 15, consumerWidth, hostWidth, 0]
        var lines = [
            "",
            row(
                [
                    "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
                    "CLIENT-ID",
                ], widths: widths),
        ]
        for r in rows {
            lines.append(
                row(
                    [
                        group, r.topicPartition.topic.rawValue, String(r.topicPartition.partition.rawValue),
                        r.currentOffset.map { String($0.rawValue) } ?? "-",
                        r.logEndOffset.map { String($0.rawValue) } ?? "-", r.lag.map { String($0) } ?? "-",
                        r.member?.memberId ?? "-", r.member?.clientHost ?? "-", r.member?.clientId ?? "-",
                    ], widths: widths))
        }
        return lines
    }

    /// `--describe --members` (with `--verbose`: the ASSIGNMENT column).
    static func members(_ d: GroupDescription, verbose: Bool) -> [String] {
        let groupWidth = max(15, d.groupId.count)
        let consumerWidth = max(15, d.members.map(\.memberId.count).max() ?? 0)
        let hostWidth = max(15, d.members.map(\.clientHost.count).max() ?? 0)
        let clientWidth = max(15, d.members.map(\.clientId.count).max() ?? 0)
        let widths = [groupWidth, consumerWidth, hostWidth, clientWidth, 12, 0]
        var header = ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]
        if verbose { header.append("ASSIGNMENT") }
        var lines = ["", row(header, widths: widths)]
        for m in d.members {
            var cells = [d.groupId, m.memberId, m.clientHost, m.clientId, String(m.assignment.count)]
            if verbose { cells.append(assignment(m.assignment)) }
            lines.append(row(cells, widths: widths))
        }
        return lines
    }

    /// Kafka's assignment notation: `topic(0,1),other(2)`, `-` when empty.
    static func assignment(_ partitions: [TopicPartition]) -> String {
        guard !partitions.isEmpty else { return "-" }
        var byTopic: [TopicName: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition.rawValue) }
        return byTopic.keys.sorted().map { "\($0)(\(byTopic[$0]!.sorted().map(String.init).joined(separator: ",")))" }
            .joined(separator: ",")
    }

    /// `--describe --state`.
    static func state(_ d: GroupDescription) -> [String] {
        let coordinator = d.coordinator.map { "\($0.address) (\($0.id))" } ?? "-"
        let widths = [max(15, d.groupId.count), max(25, coordinator.count), 20, 20, 0]
        return [
            "",
            row(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"], widths: widths),
            row(
                [
                    d.groupId, coordinator, d.assignmentStrategy.isEmpty ? "-" : d.assignmentStrategy, d.state,
                    String(d.members.count),
                ], widths: widths),
        ]
    }

    /// `--reset-offsets` result table.
    static func resetOffsets(group: String, offsets: [TopicPartition: Offset]) -> [String] {
        let widths = [30, 30, 10, 0]
        var lines = ["", row(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], widths: widths)]
        for tp in offsets.keys.sorted() {
            lines.append(
                row(
                    [group, tp.topic.rawValue, String(tp.partition.rawValue), String(offsets[tp]!.rawValue)],
                    widths: widths))
        }
        return lines
    }
}
