import FjordCluster

/// The group coordinator's settings, with Kafka's names and defaults.
///
/// Integration tests shrink the session bounds and the initial rebalance delay; everything else is Kafka's default.
public struct GroupCoordinatorConfig: Hashable, Sendable {
    /// `group.min.session.timeout.ms`: a JoinGroup with a shorter session timeout gets INVALID_SESSION_TIMEOUT.
    public var minSessionTimeoutMs: Int32 = 6_000
    /// `group.max.session.timeout.ms`: a JoinGroup with a longer session timeout gets INVALID_SESSION_TIMEOUT.
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an Empty group waits for more members,
    /// extended by the same amount each time one joins, up to the rebalance timeout.
    public var initialRebalanceDelayMs: Int32 = 3_000
    /// `group.max.size`: members beyond it get GROUP_MAX_SIZE_REACHED.
    public var maxGroupSize: Int = Int(Int32.max)
    /// How long a brand-new member's JoinGroup may wait in a rebalance before the member is dropped (Kafka's
    /// `GroupCoordinator.NewMemberJoinTimeoutMs`, not configurable there).
    public var newMemberJoinTimeoutMs: Int64 = 300_000
    /// `offset.metadata.max.bytes`: a committed metadata string longer than this (in UTF-16 code units, as Java
    /// counts `String.length`) gets OFFSET_METADATA_TOO_LARGE.
    public var offsetMetadataMaxBytes: Int = 4_096
    /// `offsets.retention.minutes` in milliseconds: how long committed offsets of a group without members (or not
    /// subscribed to the topic) are kept.
    public var offsetsRetentionMs: Int64 = 7 * 24 * 60 * 60 * 1_000
    /// `offsets.retention.check.interval.ms`: how often the shell runs ``GroupStateMachine/expireOffsets(now:)``.
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000

    public init() {}

    /// The configuration keys the broker reads for the coordinator.
    public static let definitions: [ConfigDefinition] = [
        ConfigDefinition(
            "group.min.session.timeout.ms", .int, default: "6000", "Smallest session timeout a member may ask for."),
        ConfigDefinition(
            "group.max.session.timeout.ms", .int, default: "1800000", "Largest session timeout a member may ask for."),
        ConfigDefinition(
            "group.initial.rebalance.delay.ms", .int, default: "3000",
            "How long the first rebalance of an empty group waits for more members."),
        ConfigDefinition("group.max.size", .int, default: "2147483647", "Most members a consumer group may have."),
        ConfigDefinition(
            "offset.metadata.max.bytes", .int, default: "4096", "Longest metadata string an offset commit may carry."),
        ConfigDefinition(
            "offsets.retention.minutes", .int, default: "10080",
            "How long committed offsets outlive the group's last member."),
        ConfigDefinition(
            "offsets.retention.check.interval.ms", .long, default: "600000", "How often expired offsets are removed."),
    ]

    /// Reads the coordinator's keys from resolved broker configuration (defaults apply for unset keys).
    public init(_ config: ResolvedConfig) throws(ConfigError) {
        minSessionTimeoutMs = Int32(clamping: config.int("group.min.session.timeout.ms"))
        maxSessionTimeoutMs = Int32(clamping: config.int("group.max.session.timeout.ms"))
        initialRebalanceDelayMs = Int32(clamping: config.int("group.initial.rebalance.delay.ms"))
        maxGroupSize = config.int("group.max.size")
        offsetMetadataMaxBytes = config.int("offset.metadata.max.bytes")
        offsetsRetentionMs = config.int64("offsets.retention.minutes") * 60_000
        offsetsRetentionCheckIntervalMs = config.int64("offsets.retention.check.interval.ms")
        guard minSessionTimeoutMs > 0, minSessionTimeoutMs <= maxSessionTimeoutMs else {
            throw ConfigError(
                "group.min.session.timeout.ms (\(minSessionTimeoutMs)) must be positive and at most "
                    + "group.max.session.timeout.ms (\(maxSessionTimeoutMs))")
        }
        guard initialRebalanceDelayMs >= 0, maxGroupSize >= 1, offsetsRetentionMs >= 1,
            offsetsRetentionCheckIntervalMs >= 1
        else {
            throw ConfigError(
                "group.initial.rebalance.delay.ms must be >= 0, group.max.size, offsets.retention.minutes and "
                    + "offsets.retention.check.interval.ms must be >= 1")
        }
    }
}
