import FjordModel

/// The answer to one partition of an AlterPartition request: an error, or the state now in ZooKeeper.
public struct AlterPartitionPartitionReply: Hashable, Sendable {
    public var partition: PartitionID
    public var error: ControllerErrorCode
    public var state: LeaderAndIsr?

    public init(partition: PartitionID, error: ControllerErrorCode, state: LeaderAndIsr?) {
        self.partition = partition
        self.error = error
        self.state = state
    }
}

/// The answer to an AlterPartition request, in the request's topic order.
public struct AlterPartitionReply: Hashable, Sendable {
    public struct Topic: Hashable, Sendable {
        public var topic: TopicReference
        /// The topic's id (for v2+ answers), when known.
        public var topicID: String?
        public var partitions: [AlterPartitionPartitionReply]
    }

    public var error: ControllerErrorCode
    public var topics: [Topic]

    public init(error: ControllerErrorCode, topics: [Topic] = []) {
        self.error = error
        self.topics = topics
    }
}

/// The result of an election for one partition of an ElectLeaders request.
public enum ElectionOutcome: Hashable, Sendable {
    case elected(BrokerID)
    case failed(ControllerApiError)
}

/// The controller's answer to a request a broker sent (or forwarded) to it.
public enum ControllerReply: Hashable, Sendable {
    case alterPartition(AlterPartitionReply)
    /// The error, and the partitions the broker still leads.
    case controlledShutdown(ControllerErrorCode, remaining: [TopicPartition])
    case alterPartitionReassignments(ControllerApiError, [TopicPartition: ControllerApiError])
    case listPartitionReassignments(ControllerApiError, [TopicPartition: PartitionAssignment])
    case electLeaders(ControllerApiError, [TopicPartition: ElectionOutcome])
}

/// What the shell does once an event's writes are done.
public struct ControllerActions: Hashable, Sendable {
    /// Control requests, per broker, to queue on each broker's sender in this order.
    public var requests: [BrokerControlRequests] = []
    /// The answer to the request that caused the event, if any.
    public var reply: ControllerReply?
    /// Events to handle next, before anything queued behind this one.
    public var followUps: [ControllerEvent] = []
    /// This controller was fenced by a newer one: stop acting now and rejoin the election as a standby.
    public var resign = false
    /// Short notes about what happened, for the event's log line.
    public var notes: [String] = []

    public init() {}
}
