/// The Kafka error codes the group coordinator answers with, by their wire number.
///
/// Only the codes this target produces are listed; the broker's handlers map them onto the generated protocol's
/// error fields unchanged (`rawValue` is the wire value).
public enum GroupErrorCode: Int16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case unknownServerError = -1
    case offsetMetadataTooLarge = 12
    case coordinatorLoadInProgress = 14
    case coordinatorNotAvailable = 15
    case notCoordinator = 16
    case illegalGeneration = 22
    case inconsistentGroupProtocol = 23
    case invalidGroupID = 24
    case unknownMemberID = 25
    case invalidSessionTimeout = 26
    case rebalanceInProgress = 27
    case invalidCommitOffsetSize = 28
    case nonEmptyGroup = 68
    case groupIDNotFound = 69
    case memberIDRequired = 79
    case groupMaxSizeReached = 81
    case fencedInstanceID = 82
    case unstableOffsetCommit = 88

    /// Kafka's name for the code (`Errors.name()`), for logs and CLI output.
    public var kafkaName: String {
        switch self {
        case .none: "NONE"
        case .unknownServerError: "UNKNOWN_SERVER_ERROR"
        case .offsetMetadataTooLarge: "OFFSET_METADATA_TOO_LARGE"
        case .coordinatorLoadInProgress: "COORDINATOR_LOAD_IN_PROGRESS"
        case .coordinatorNotAvailable: "COORDINATOR_NOT_AVAILABLE"
        case .notCoordinator: "NOT_COORDINATOR"
        case .illegalGeneration: "ILLEGAL_GENERATION"
        case .inconsistentGroupProtocol: "INCONSISTENT_GROUP_PROTOCOL"
        case .invalidGroupID: "INVALID_GROUP_ID"
        case .unknownMemberID: "UNKNOWN_MEMBER_ID"
        case .invalidSessionTimeout: "INVALID_SESSION_TIMEOUT"
        case .rebalanceInProgress: "REBALANCE_IN_PROGRESS"
        case .invalidCommitOffsetSize: "INVALID_COMMIT_OFFSET_SIZE"
        case .nonEmptyGroup: "NON_EMPTY_GROUP"
        case .groupIDNotFound: "GROUP_ID_NOT_FOUND"
        case .memberIDRequired: "MEMBER_ID_REQUIRED"
        case .groupMaxSizeReached: "GROUP_MAX_SIZE_REACHED"
        case .fencedInstanceID: "FENCED_INSTANCE_ID"
        case .unstableOffsetCommit: "UNSTABLE_OFFSET_COMMIT"
        }
    }

    /// Whether Kafka marks the error retriable (the client may retry the same request after a backoff).
    public var isRetriable: Bool {
        switch self {
        case .coordinatorLoadInProgress, .coordinatorNotAvailable, .notCoordinator, .unstableOffsetCommit: true
        default: false
        }
    }

    public var description: String { "\(kafkaName)(\(rawValue))" }
}
