/// A Kafka protocol error code, as carried in `error_code` fields (int16).
///
/// Any int16 from the wire is representable; the codes Kafka 3.9 defines (-1...127) have a name (Kafka's,
/// e.g. `NOT_LEADER_OR_FOLLOWER`), a retriable flag (whether Kafka's client treats the error as transient and
/// retries the request) and a default message. Unknown codes report `UNKNOWN_CODE_<n>`, not retriable, as
/// Kafka clients treat codes they do not know as an unknown server error.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }
    public init(_ rawValue: Int16) { self.rawValue = rawValue }

    /// Kafka's name for the code, e.g. `UNKNOWN_TOPIC_OR_PARTITION`.
    public var name: String { Self.info(rawValue)?.name ?? "UNKNOWN_CODE_\(rawValue)" }
    /// Whether a client should retry the request (possibly after refreshing metadata).
    public var isRetriable: Bool { Self.info(rawValue)?.retriable ?? false }
    /// A human-readable explanation, suitable as a default `error_message`.
    public var defaultMessage: String { Self.info(rawValue)?.message ?? "Unknown error code \(rawValue)." }
    /// Whether this code is one Kafka 3.9 defines.
    public var isKnown: Bool { Self.info(rawValue) != nil }

    public var description: String { "\(name)(\(rawValue))" }

    /// Every code Kafka 3.9 defines, in numeric order.
    public static var allKnown: [ErrorCode] { table.map { ErrorCode($0.code) } }

    struct Info {
        let code: Int16
        let name: String
        let retriable: Bool
        let message: String
    }

    static func info(_ code: Int16) -> Info? {
        let index = Int(code) + 1
        guard index >= 0 && index < table.count else { return nil }
        return table[index]
    }

    // The table is indexed by code + 1; `CatalogTests` checks that it stays dense and in order.
    static let table: [Info] = [
        Info(
            code: -1, name: "UNKNOWN_SERVER_ERROR", retriable: false,
            message: "The broker hit an unexpected error while handling the request."),
        Info(code: 0, name: "NONE", retriable: false, message: "No error."),
        Info(
            code: 1, name: "OFFSET_OUT_OF_RANGE", retriable: false,
            message: "The requested offset lies outside the partition's log."),
        Info(
            code: 2, name: "CORRUPT_MESSAGE", retriable: true,
            message: "A record batch failed its CRC check, is malformed, or breaks a size rule."),
        Info(
            code: 3, name: "UNKNOWN_TOPIC_OR_PARTITION", retriable: true,
            message: "This broker does not host the topic or partition."),
        Info(code: 4, name: "INVALID_FETCH_SIZE", retriable: false, message: "The fetch size is not valid."),
        Info(
            code: 5, name: "LEADER_NOT_AVAILABLE", retriable: true,
            message: "The partition has no leader right now, for example during an election."),
        Info(
            code: 6, name: "NOT_LEADER_OR_FOLLOWER", retriable: true,
            message: "This broker is not the partition's leader (or, for replica requests, not a replica of it)."),
        Info(code: 7, name: "REQUEST_TIMED_OUT", retriable: true, message: "The request did not complete in time."),
        Info(code: 8, name: "BROKER_NOT_AVAILABLE", retriable: false, message: "The broker is not available."),
        Info(
            code: 9, name: "REPLICA_NOT_AVAILABLE", retriable: true,
            message: "The replica is not available for this partition."),
        Info(
            code: 10, name: "MESSAGE_TOO_LARGE", retriable: false,
            message: "A record batch exceeds the largest size the broker accepts."),
        Info(
            code: 11, name: "STALE_CONTROLLER_EPOCH", retriable: false,
            message: "The request came from a controller with an old epoch."),
        Info(
            code: 12, name: "OFFSET_METADATA_TOO_LARGE", retriable: false,
            message: "The offset commit's metadata string is too long."),
        Info(
            code: 13, name: "NETWORK_EXCEPTION", retriable: true,
            message: "The connection closed before a response arrived."),
        Info(
            code: 14, name: "COORDINATOR_LOAD_IN_PROGRESS", retriable: true,
            message: "The coordinator is still loading its state."),
        Info(
            code: 15, name: "COORDINATOR_NOT_AVAILABLE", retriable: true, message: "The coordinator is not available."),
        Info(
            code: 16, name: "NOT_COORDINATOR", retriable: true,
            message: "This broker is not the coordinator for the group or transaction."),
        Info(
            code: 17, name: "INVALID_TOPIC_EXCEPTION", retriable: false,
            message: "The topic name is not valid for this operation."),
        Info(
            code: 18, name: "RECORD_LIST_TOO_LARGE", retriable: false,
            message: "The record batch is larger than the segment size."),
        Info(
            code: 19, name: "NOT_ENOUGH_REPLICAS", retriable: true,
            message: "Fewer in-sync replicas than min.insync.replicas; the records were not written."),
        Info(
            code: 20, name: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", retriable: true,
            message: "The records were written, but to fewer in-sync replicas than required."),
        Info(
            code: 21, name: "INVALID_REQUIRED_ACKS", retriable: false,
            message: "The produce request's acks value is not valid."),
        Info(
            code: 22, name: "ILLEGAL_GENERATION", retriable: false,
            message: "The group generation in the request is not the current one."),
        Info(
            code: 23, name: "INCONSISTENT_GROUP_PROTOCOL", retriable: false,
            message: "The member's protocols do not match the group's, or the protocol type or list is empty."),
        Info(code: 24, name: "INVALID_GROUP_ID", retriable: false, message: "The group id is not valid."),
        Info(
            code: 25, name: "UNKNOWN_MEMBER_ID", retriable: false,
            message: "The coordinator does not know this member id."),
        Info(
            code: 26, name: "INVALID_SESSION_TIMEOUT", retriable: false,
            message: "The session timeout lies outside group.min.session.timeout.ms and group.max.session.timeout.ms."),
        Info(
            code: 27, name: "REBALANCE_IN_PROGRESS", retriable: false,
            message: "The group is rebalancing; the member must rejoin."),
        Info(
            code: 28, name: "INVALID_COMMIT_OFFSET_SIZE", retriable: false,
            message: "The offset commit's data size is not valid."),
        Info(
            code: 29, name: "TOPIC_AUTHORIZATION_FAILED", retriable: false,
            message: "Not authorized to access the topic."),
        Info(
            code: 30, name: "GROUP_AUTHORIZATION_FAILED", retriable: false,
            message: "Not authorized to access the group."),
        Info(
            code: 31, name: "CLUSTER_AUTHORIZATION_FAILED", retriable: false,
            message: "Not authorized for this cluster operation."),
        Info(
            code: 32, name: "INVALID_TIMESTAMP", retriable: false,
            message: "A record timestamp is outside the accepted range."),
        Info(
            code: 33, name: "UNSUPPORTED_SASL_MECHANISM", retriable: false,
            message: "The broker does not offer this SASL mechanism."),
        Info(
            code: 34, name: "ILLEGAL_SASL_STATE", retriable: false,
            message: "The request is not allowed at this point of SASL authentication."),
        Info(
            code: 35, name: "UNSUPPORTED_VERSION", retriable: false,
            message: "The broker does not support this version of the API."),
        Info(
            code: 36, name: "TOPIC_ALREADY_EXISTS", retriable: false, message: "A topic with this name already exists."),
        Info(code: 37, name: "INVALID_PARTITIONS", retriable: false, message: "The partition count is not valid."),
        Info(
            code: 38, name: "INVALID_REPLICATION_FACTOR", retriable: false,
            message: "The replication factor is below 1 or above the number of live brokers."),
        Info(
            code: 39, name: "INVALID_REPLICA_ASSIGNMENT", retriable: false,
            message: "The replica assignment is not valid."),
        Info(code: 40, name: "INVALID_CONFIG", retriable: false, message: "The configuration is not valid."),
        Info(code: 41, name: "NOT_CONTROLLER", retriable: true, message: "This broker is not the controller."),
        Info(
            code: 42, name: "INVALID_REQUEST", retriable: false,
            message: "The request is malformed or was sent to a broker that cannot handle it; see the broker log."),
        Info(
            code: 43, name: "UNSUPPORTED_FOR_MESSAGE_FORMAT", retriable: false,
            message: "The broker's message format does not support this request."),
        Info(code: 44, name: "POLICY_VIOLATION", retriable: false, message: "The request breaks a configured policy."),
        Info(
            code: 45, name: "OUT_OF_ORDER_SEQUENCE_NUMBER", retriable: false,
            message: "The producer sequence number is not the next one expected."),
        Info(
            code: 46, name: "DUPLICATE_SEQUENCE_NUMBER", retriable: false,
            message: "The producer sequence number was already written."),
        Info(
            code: 47, name: "INVALID_PRODUCER_EPOCH", retriable: false,
            message: "The producer epoch is older than the current one."),
        Info(
            code: 48, name: "INVALID_TXN_STATE", retriable: false,
            message: "The transactional operation is not valid in the transaction's current state."),
        Info(
            code: 49, name: "INVALID_PRODUCER_ID_MAPPING", retriable: false,
            message: "The producer id is not the one assigned to this transactional id."),
        Info(
            code: 50, name: "INVALID_TRANSACTION_TIMEOUT", retriable: false,
            message: "The transaction timeout exceeds transaction.max.timeout.ms."),
        Info(
            code: 51, name: "CONCURRENT_TRANSACTIONS", retriable: true,
            message: "Another operation on the same transaction is still in progress."),
        Info(
            code: 52, name: "TRANSACTION_COORDINATOR_FENCED", retriable: false,
            message: "The transaction coordinator sending this request is no longer current."),
        Info(
            code: 53, name: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", retriable: false,
            message: "Not authorized to use the transactional id."),
        Info(
            code: 54, name: "SECURITY_DISABLED", retriable: false,
            message: "Security features are disabled on this broker."),
        Info(
            code: 55, name: "OPERATION_NOT_ATTEMPTED", retriable: false,
            message: "The broker skipped this operation because another part of the batch failed."),
        Info(
            code: 56, name: "KAFKA_STORAGE_ERROR", retriable: true, message: "A disk error prevented access to the log."
        ),
        Info(
            code: 57, name: "LOG_DIR_NOT_FOUND", retriable: false,
            message: "The log directory is not in the broker's configuration."),
        Info(code: 58, name: "SASL_AUTHENTICATION_FAILED", retriable: false, message: "SASL authentication failed."),
        Info(
            code: 59, name: "UNKNOWN_PRODUCER_ID", retriable: false,
            message: "The broker has no state for this producer id, for example after its records expired."),
        Info(
            code: 60, name: "REASSIGNMENT_IN_PROGRESS", retriable: false,
            message: "A partition reassignment is in progress."),
        Info(
            code: 61, name: "DELEGATION_TOKEN_AUTH_DISABLED", retriable: false,
            message: "Delegation tokens are disabled."),
        Info(
            code: 62, name: "DELEGATION_TOKEN_NOT_FOUND", retriable: false,
            message: "The delegation token does not exist."),
        Info(
            code: 63, name: "DELEGATION_TOKEN_OWNER_MISMATCH", retriable: false,
            message: "The principal is not the token's owner or renewer."),
        Info(
            code: 64, name: "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", retriable: false,
            message: "Delegation token requests are not allowed on this channel."),
        Info(
            code: 65, name: "DELEGATION_TOKEN_AUTHORIZATION_FAILED", retriable: false,
            message: "Not authorized for this delegation token operation."),
        Info(
            code: 66, name: "DELEGATION_TOKEN_EXPIRED", retriable: false, message: "The delegation token has expired."),
        Info(
            code: 67, name: "INVALID_PRINCIPAL_TYPE", retriable: false, message: "The principal type is not supported."),
        Info(code: 68, name: "NON_EMPTY_GROUP", retriable: false, message: "The group still has members."),
        Info(code: 69, name: "GROUP_ID_NOT_FOUND", retriable: false, message: "The group does not exist."),
        Info(
            code: 70, name: "FETCH_SESSION_ID_NOT_FOUND", retriable: true, message: "The fetch session does not exist."),
        Info(
            code: 71, name: "INVALID_FETCH_SESSION_EPOCH", retriable: true,
            message: "The fetch session epoch is not the expected one."),
        Info(
            code: 72, name: "LISTENER_NOT_FOUND", retriable: true,
            message: "The leader has no listener matching the one this request arrived on."),
        Info(code: 73, name: "TOPIC_DELETION_DISABLED", retriable: false, message: "Topic deletion is disabled."),
        Info(
            code: 74, name: "FENCED_LEADER_EPOCH", retriable: true,
            message: "The request's leader epoch is older than the broker's."),
        Info(
            code: 75, name: "UNKNOWN_LEADER_EPOCH", retriable: true,
            message: "The request's leader epoch is newer than the broker's."),
        Info(
            code: 76, name: "UNSUPPORTED_COMPRESSION_TYPE", retriable: false,
            message: "The client cannot read the partition's compression type."),
        Info(
            code: 77, name: "STALE_BROKER_EPOCH", retriable: false,
            message: "The broker epoch in the request is not the current one."),
        Info(
            code: 78, name: "OFFSET_NOT_AVAILABLE", retriable: true,
            message: "The new leader's high watermark has not caught up yet, so offsets are not final."),
        Info(
            code: 79, name: "MEMBER_ID_REQUIRED", retriable: false,
            message: "The member must rejoin with the member id the coordinator assigned."),
        Info(
            code: 80, name: "PREFERRED_LEADER_NOT_AVAILABLE", retriable: true,
            message: "The preferred leader is not available."),
        Info(code: 81, name: "GROUP_MAX_SIZE_REACHED", retriable: false, message: "The group is at its maximum size."),
        Info(
            code: 82, name: "FENCED_INSTANCE_ID", retriable: false,
            message: "Another member with the same group.instance.id has joined with a different member id."),
        Info(
            code: 83, name: "ELIGIBLE_LEADERS_NOT_AVAILABLE", retriable: true,
            message: "No eligible leader is available for the partition."),
        Info(
            code: 84, name: "ELECTION_NOT_NEEDED", retriable: false,
            message: "The partition already has the leader the election would choose."),
        Info(
            code: 85, name: "NO_REASSIGNMENT_IN_PROGRESS", retriable: false,
            message: "No partition reassignment is in progress."),
        Info(
            code: 86, name: "GROUP_SUBSCRIBED_TO_TOPIC", retriable: false,
            message: "The group is subscribed to the topic, so its offsets cannot be deleted."),
        Info(
            code: 87, name: "INVALID_RECORD", retriable: false,
            message: "The broker rejected a record that failed validation."),
        Info(
            code: 88, name: "UNSTABLE_OFFSET_COMMIT", retriable: true,
            message: "Pending transactional offsets must be resolved first."),
        Info(
            code: 89, name: "THROTTLING_QUOTA_EXCEEDED", retriable: true, message: "The throttling quota is exhausted."),
        Info(
            code: 90, name: "PRODUCER_FENCED", retriable: false,
            message: "A newer producer with the same transactional id has fenced this one."),
        Info(
            code: 91, name: "RESOURCE_NOT_FOUND", retriable: false,
            message: "The request names a resource that does not exist."),
        Info(
            code: 92, name: "DUPLICATE_RESOURCE", retriable: false,
            message: "The request names the same resource twice."),
        Info(
            code: 93, name: "UNACCEPTABLE_CREDENTIAL", retriable: false,
            message: "The credential does not meet the acceptance criteria."),
        Info(
            code: 94, name: "INCONSISTENT_VOTER_SET", retriable: false,
            message: "The sender or receiver of a voter request is not an expected voter."),
        Info(code: 95, name: "INVALID_UPDATE_VERSION", retriable: false, message: "The update version is not valid."),
        Info(
            code: 96, name: "FEATURE_UPDATE_FAILED", retriable: false,
            message: "The finalized features could not be updated."),
        Info(
            code: 97, name: "PRINCIPAL_DESERIALIZATION_FAILURE", retriable: false,
            message: "A forwarded request's principal could not be decoded."),
        Info(code: 98, name: "SNAPSHOT_NOT_FOUND", retriable: false, message: "The requested snapshot does not exist."),
        Info(
            code: 99, name: "POSITION_OUT_OF_RANGE", retriable: false,
            message: "The position is negative or beyond the snapshot's size."),
        Info(code: 100, name: "UNKNOWN_TOPIC_ID", retriable: true, message: "This broker does not host the topic id."),
        Info(
            code: 101, name: "DUPLICATE_BROKER_REGISTRATION", retriable: false,
            message: "Another broker uses this broker id."),
        Info(
            code: 102, name: "BROKER_ID_NOT_REGISTERED", retriable: false, message: "The broker id is not registered."),
        Info(
            code: 103, name: "INCONSISTENT_TOPIC_ID", retriable: true,
            message: "The topic id in the request differs from the log's."),
        Info(
            code: 104, name: "INCONSISTENT_CLUSTER_ID", retriable: false,
            message: "The cluster id in the request differs from the broker's."),
        Info(
            code: 105, name: "TRANSACTIONAL_ID_NOT_FOUND", retriable: false,
            message: "The transactional id does not exist."),
        Info(
            code: 106, name: "FETCH_SESSION_TOPIC_ID_ERROR", retriable: true,
            message: "The fetch session used topic ids inconsistently."),
        Info(
            code: 107, name: "INELIGIBLE_REPLICA", retriable: false,
            message: "The proposed ISR contains a replica that is not eligible."),
        Info(
            code: 108, name: "NEW_LEADER_ELECTED", retriable: false,
            message: "The partition state was updated, but meanwhile another leader was elected."),
        Info(
            code: 109, name: "OFFSET_MOVED_TO_TIERED_STORAGE", retriable: false,
            message: "The offset now lives in tiered storage."),
        Info(
            code: 110, name: "FENCED_MEMBER_EPOCH", retriable: false,
            message: "The member epoch is fenced; the member must give up its partitions and rejoin."),
        Info(
            code: 111, name: "UNRELEASED_INSTANCE_ID", retriable: false,
            message: "Another member still holds this instance id and must leave first."),
        Info(
            code: 112, name: "UNSUPPORTED_ASSIGNOR", retriable: false,
            message: "The group does not support the assignor or its versions."),
        Info(
            code: 113, name: "STALE_MEMBER_EPOCH", retriable: false,
            message: "The member epoch is stale; retry with the epoch from the latest heartbeat."),
        Info(
            code: 114, name: "MISMATCHED_ENDPOINT_TYPE", retriable: false,
            message: "The request reached an endpoint of the wrong type."),
        Info(
            code: 115, name: "UNSUPPORTED_ENDPOINT_TYPE", retriable: false,
            message: "This endpoint type is not supported."),
        Info(code: 116, name: "UNKNOWN_CONTROLLER_ID", retriable: false, message: "The controller id is not known."),
        Info(
            code: 117, name: "UNKNOWN_SUBSCRIPTION_ID", retriable: false,
            message: "The telemetry subscription id is unknown or outdated."),
        Info(
            code: 118, name: "TELEMETRY_TOO_LARGE", retriable: false,
            message: "The telemetry payload exceeds the size the broker accepts."),
        Info(
            code: 119, name: "INVALID_REGISTRATION", retriable: false,
            message: "The controller considers the broker registration invalid."),
        Info(
            code: 120, name: "TRANSACTION_ABORTABLE", retriable: false,
            message: "The transaction hit a server error; abort it to keep using the transactional id."),
        Info(
            code: 121, name: "INVALID_RECORD_STATE", retriable: false,
            message: "The record state does not allow this acknowledgement."),
        Info(code: 122, name: "SHARE_SESSION_NOT_FOUND", retriable: true, message: "The share session does not exist."),
        Info(
            code: 123, name: "INVALID_SHARE_SESSION_EPOCH", retriable: true,
            message: "The share session epoch is not the expected one."),
        Info(
            code: 124, name: "FENCED_STATE_EPOCH", retriable: false,
            message: "The share-group state epoch does not match."),
        Info(
            code: 125, name: "INVALID_VOTER_KEY", retriable: false,
            message: "The voter key does not match the receiving replica's."),
        Info(code: 126, name: "DUPLICATE_VOTER", retriable: false, message: "The voter is already in the voter set."),
        Info(code: 127, name: "VOTER_NOT_FOUND", retriable: false, message: "The voter is not in the voter set."),
    ]
}

extension ErrorCode {
    public static let unknownServerError = ErrorCode(-1)
    /// Success (Kafka's `NONE`).
    public static let noError = ErrorCode(0)
    public static let offsetOutOfRange = ErrorCode(1)
    public static let corruptMessage = ErrorCode(2)
    public static let unknownTopicOrPartition = ErrorCode(3)
    public static let invalidFetchSize = ErrorCode(4)
    public static let leaderNotAvailable = ErrorCode(5)
    public static let notLeaderOrFollower = ErrorCode(6)
    public static let requestTimedOut = ErrorCode(7)
    public static let brokerNotAvailable = ErrorCode(8)
    public static let replicaNotAvailable = ErrorCode(9)
    public static let messageTooLarge = ErrorCode(10)
    public static let staleControllerEpoch = ErrorCode(11)
    public static let offsetMetadataTooLarge = ErrorCode(12)
    public static let networkException = ErrorCode(13)
    public static let coordinatorLoadInProgress = ErrorCode(14)
    public static let coordinatorNotAvailable = ErrorCode(15)
    public static let notCoordinator = ErrorCode(16)
    public static let invalidTopicException = ErrorCode(17)
    public static let recordListTooLarge = ErrorCode(18)
    public static let notEnoughReplicas = ErrorCode(19)
    public static let notEnoughReplicasAfterAppend = ErrorCode(20)
    public static let invalidRequiredAcks = ErrorCode(21)
    public static let illegalGeneration = ErrorCode(22)
    public static let inconsistentGroupProtocol = ErrorCode(23)
    public static let invalidGroupId = ErrorCode(24)
    public static let unknownMemberId = ErrorCode(25)
    public static let invalidSessionTimeout = ErrorCode(26)
    public static let rebalanceInProgress = ErrorCode(27)
    public static let invalidCommitOffsetSize = ErrorCode(28)
    public static let topicAuthorizationFailed = ErrorCode(29)
    public static let groupAuthorizationFailed = ErrorCode(30)
    public static let clusterAuthorizationFailed = ErrorCode(31)
    public static let invalidTimestamp = ErrorCode(32)
    public static let unsupportedSaslMechanism = ErrorCode(33)
    public static let illegalSaslState = ErrorCode(34)
    public static let unsupportedVersion = ErrorCode(35)
    public static let topicAlreadyExists = ErrorCode(36)
    public static let invalidPartitions = ErrorCode(37)
    public static let invalidReplicationFactor = ErrorCode(38)
    public static let invalidReplicaAssignment = ErrorCode(39)
    public static let invalidConfig = ErrorCode(40)
    public static let notController = ErrorCode(41)
    public static let invalidRequest = ErrorCode(42)
    public static let unsupportedForMessageFormat = ErrorCode(43)
    public static let policyViolation = ErrorCode(44)
    public static let outOfOrderSequenceNumber = ErrorCode(45)
    public static let duplicateSequenceNumber = ErrorCode(46)
    public static let invalidProducerEpoch = ErrorCode(47)
    public static let invalidTxnState = ErrorCode(48)
    public static let invalidProducerIdMapping = ErrorCode(49)
    public static let invalidTransactionTimeout = ErrorCode(50)
    public static let concurrentTransactions = ErrorCode(51)
    public static let transactionCoordinatorFenced = ErrorCode(52)
    public static let transactionalIdAuthorizationFailed = ErrorCode(53)
    public static let securityDisabled = ErrorCode(54)
    public static let operationNotAttempted = ErrorCode(55)
    public static let kafkaStorageError = ErrorCode(56)
    public static let logDirNotFound = ErrorCode(57)
    public static let saslAuthenticationFailed = ErrorCode(58)
    public static let unknownProducerId = ErrorCode(59)
    public static let reassignmentInProgress = ErrorCode(60)
    public static let delegationTokenAuthDisabled = ErrorCode(61)
    public static let delegationTokenNotFound = ErrorCode(62)
    public static let delegationTokenOwnerMismatch = ErrorCode(63)
    public static let delegationTokenRequestNotAllowed = ErrorCode(64)
    public static let delegationTokenAuthorizationFailed = ErrorCode(65)
    public static let delegationTokenExpired = ErrorCode(66)
    public static let invalidPrincipalType = ErrorCode(67)
    public static let nonEmptyGroup = ErrorCode(68)
    public static let groupIdNotFound = ErrorCode(69)
    public static let fetchSessionIdNotFound = ErrorCode(70)
    public static let invalidFetchSessionEpoch = ErrorCode(71)
    public static let listenerNotFound = ErrorCode(72)
    public static let topicDeletionDisabled = ErrorCode(73)
    public static let fencedLeaderEpoch = ErrorCode(74)
    public static let unknownLeaderEpoch = ErrorCode(75)
    public static let unsupportedCompressionType = ErrorCode(76)
    public static let staleBrokerEpoch = ErrorCode(77)
    public static let offsetNotAvailable = ErrorCode(78)
    public static let memberIdRequired = ErrorCode(79)
    public static let preferredLeaderNotAvailable = ErrorCode(80)
    public static let groupMaxSizeReached = ErrorCode(81)
    public static let fencedInstanceId = ErrorCode(82)
    public static let eligibleLeadersNotAvailable = ErrorCode(83)
    public static let electionNotNeeded = ErrorCode(84)
    public static let noReassignmentInProgress = ErrorCode(85)
    public static let groupSubscribedToTopic = ErrorCode(86)
    public static let invalidRecord = ErrorCode(87)
    public static let unstableOffsetCommit = ErrorCode(88)
    public static let throttlingQuotaExceeded = ErrorCode(89)
    public static let producerFenced = ErrorCode(90)
    public static let resourceNotFound = ErrorCode(91)
    public static let duplicateResource = ErrorCode(92)
    public static let unacceptableCredential = ErrorCode(93)
    public static let inconsistentVoterSet = ErrorCode(94)
    public static let invalidUpdateVersion = ErrorCode(95)
    public static let featureUpdateFailed = ErrorCode(96)
    public static let principalDeserializationFailure = ErrorCode(97)
    public static let snapshotNotFound = ErrorCode(98)
    public static let positionOutOfRange = ErrorCode(99)
    public static let unknownTopicId = ErrorCode(100)
    public static let duplicateBrokerRegistration = ErrorCode(101)
    public static let brokerIdNotRegistered = ErrorCode(102)
    public static let inconsistentTopicId = ErrorCode(103)
    public static let inconsistentClusterId = ErrorCode(104)
    public static let transactionalIdNotFound = ErrorCode(105)
    public static let fetchSessionTopicIdError = ErrorCode(106)
    public static let ineligibleReplica = ErrorCode(107)
    public static let newLeaderElected = ErrorCode(108)
    public static let offsetMovedToTieredStorage = ErrorCode(109)
    public static let fencedMemberEpoch = ErrorCode(110)
    public static let unreleasedInstanceId = ErrorCode(111)
    public static let unsupportedAssignor = ErrorCode(112)
    public static let staleMemberEpoch = ErrorCode(113)
    public static let mismatchedEndpointType = ErrorCode(114)
    public static let unsupportedEndpointType = ErrorCode(115)
    public static let unknownControllerId = ErrorCode(116)
    public static let unknownSubscriptionId = ErrorCode(117)
    public static let telemetryTooLarge = ErrorCode(118)
    public static let invalidRegistration = ErrorCode(119)
    public static let transactionAbortable = ErrorCode(120)
    public static let invalidRecordState = ErrorCode(121)
    public static let shareSessionNotFound = ErrorCode(122)
    public static let invalidShareSessionEpoch = ErrorCode(123)
    public static let fencedStateEpoch = ErrorCode(124)
    public static let invalidVoterKey = ErrorCode(125)
    public static let duplicateVoter = ErrorCode(126)
    public static let voterNotFound = ErrorCode(127)
}
