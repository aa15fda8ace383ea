/// The Kafka error codes the controller puts in its responses (numbers from Kafka's `Errors`).
///
/// The pure core speaks in these so it needs no protocol module; the shell copies the raw value into the
/// generated response messages.
public struct ControllerErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let none = Self(rawValue: 0)
    public static let unknownServerError = Self(rawValue: -1)
    public static let unknownTopicOrPartition = Self(rawValue: 3)
    public static let brokerNotAvailable = Self(rawValue: 8)
    public static let staleControllerEpoch = Self(rawValue: 11)
    public static let invalidTopic = Self(rawValue: 17)
    public static let unsupportedVersion = Self(rawValue: 35)
    public static let invalidReplicaAssignment = Self(rawValue: 39)
    public static let notController = Self(rawValue: 41)
    public static let invalidRequest = Self(rawValue: 42)
    public static let operationNotAttempted = Self(rawValue: 55)
    public static let kafkaStorageError = Self(rawValue: 56)
    public static let fencedLeaderEpoch = Self(rawValue: 74)
    public static let staleBrokerEpoch = Self(rawValue: 77)
    public static let preferredLeaderNotAvailable = Self(rawValue: 80)
    public static let eligibleLeadersNotAvailable = Self(rawValue: 83)
    public static let electionNotNeeded = Self(rawValue: 84)
    public static let noReassignmentInProgress = Self(rawValue: 85)
    public static let invalidUpdateVersion = Self(rawValue: 95)
    public static let unknownTopicID = Self(rawValue: 100)
    public static let ineligibleReplica = Self(rawValue: 107)

    public var isError: Bool { rawValue != 0 }

    public var description: String {
        switch rawValue {
        case 0: "NONE"
        case -1: "UNKNOWN_SERVER_ERROR"
        case 3: "UNKNOWN_TOPIC_OR_PARTITION"
        case 8: "BROKER_NOT_AVAILABLE"
        case 11: "STALE_CONTROLLER_EPOCH"
        case 17: "INVALID_TOPIC_EXCEPTION"
        case 35: "UNSUPPORTED_VERSION"
        case 39: "INVALID_REPLICA_ASSIGNMENT"
        case 41: "NOT_CONTROLLER"
        case 42: "INVALID_REQUEST"
        case 55: "OPERATION_NOT_ATTEMPTED"
        case 56: "KAFKA_STORAGE_ERROR"
        case 74: "FENCED_LEADER_EPOCH"
        case 77: "STALE_BROKER_EPOCH"
        case 80: "PREFERRED_LEADER_NOT_AVAILABLE"
        case 83: "ELIGIBLE_LEADERS_NOT_AVAILABLE"
        case 84: "ELECTION_NOT_NEEDED"
        case 85: "NO_REASSIGNMENT_IN_PROGRESS"
        case 95: "INVALID_UPDATE_VERSION"
        case 100: "UNKNOWN_TOPIC_ID"
        case 107: "INELIGIBLE_REPLICA"
        default: "ERROR_\(rawValue)"
        }
    }
}

/// An error code with an optional message, as admin responses carry them (Kafka's `ApiError`).
public struct ControllerApiError: Hashable, Sendable, CustomStringConvertible {
    public var code: ControllerErrorCode
    public var message: String?

    public init(_ code: ControllerErrorCode, _ message: String? = nil) {
        self.code = code
        self.message = message
    }

    public static let none = ControllerApiError(.none)

    public var description: String { message.map { "\(code): \($0)" } ?? code.description }
}
