/// A topic's name. Kafka's rules: 1–249 characters from `[a-zA-Z0-9._-]`, and not `.` or `..`.
public struct TopicName: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { self.rawValue = value }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The longest name Kafka accepts (a partition directory adds `-<partition>` and must fit in 255 bytes).
    public static let maxLength = 249

    /// Why a name is not a legal topic name, or `nil` when it is.
    public var validationError: String? {
        if rawValue.isEmpty { return "Topic name is illegal, it can't be empty" }
        if rawValue == "." || rawValue == ".." { return "Topic name cannot be \".\" or \"..\"" }
        if rawValue.utf8.count > Self.maxLength {
            return "Topic name is illegal, it can't be longer than \(Self.maxLength) characters"
        }
        for byte in rawValue.utf8 {
            let legal =
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
            if !legal {
                return "Topic name \"\(rawValue)\" is illegal, it contains a character other than "
                    + "ASCII alphanumerics, '.', '_' and '-'"
            }
        }
        return nil
    }

    public static func < (lhs: TopicName, rhs: TopicName) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// One partition of one topic.
public struct TopicPartition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var topic: TopicName
    public var partition: PartitionID

    public init(_ topic: TopicName, _ partition: PartitionID) {
        self.topic = topic
        self.partition = partition
    }

    public init(topic: String, partition: Int32) {
        self.topic = TopicName(topic)
        self.partition = PartitionID(partition)
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    /// Kafka's on-disk directory name for the partition: `<topic>-<partition>`.
    public var directoryName: String { "\(topic.rawValue)-\(partition.rawValue)" }
    public var description: String { directoryName }
}
