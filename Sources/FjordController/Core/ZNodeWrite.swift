import FjordCluster
import FjordModel

/// What a znode write is about, so that the core can refresh the right part of its context if the write fails.
public enum ZNodeSubject: Hashable, Sendable, CustomStringConvertible {
    case partitionState(TopicPartition)
    case topicAssignment(TopicName)
    /// The whole topic: `/brokers/topics/<t>` and everything under it.
    case topicTree(TopicName)
    case topicConfig(TopicName)
    case topicDeletionMarker(TopicName)
    case reassignment
    case preferredReplicaElection

    public var path: String {
        switch self {
        case .partitionState(let tp): ZNodePaths.partitionState(tp)
        case .topicAssignment(let t), .topicTree(let t): ZNodePaths.topic(t)
        case .topicConfig(let t): ZNodePaths.topicConfig(t)
        case .topicDeletionMarker(let t): ZNodePaths.deleteTopic(t)
        case .reassignment: ZNodePaths.reassignPartitions
        case .preferredReplicaElection: ZNodePaths.preferredReplicaElection
        }
    }

    public var description: String { path }
}

/// One znode operation. The shell maps these onto ZooKeeper `multi` operations.
public struct ZNodeOperation: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Create a persistent znode; fails if it exists.
        case create(data: [UInt8])
        /// Set the data if the version matches (`-1`: any version).
        case set(data: [UInt8], version: Int32)
        /// Delete if the version matches (`-1`: any version); fails if it does not exist.
        case delete(version: Int32)
        /// Delete the znode and everything below it; the shell lists the children first and deletes leaves first in
        /// the same `multi`. Succeeds if the znode is already gone.
        case deleteTree
    }

    public var kind: Kind
    public var subject: ZNodeSubject
    public var path: String { subject.path }

    public init(_ kind: Kind, _ subject: ZNodeSubject) {
        self.kind = kind
        self.subject = subject
    }

    public var description: String {
        switch kind {
        case .create: "create \(path)"
        case .set(_, let version): "set \(path)@\(version)"
        case .delete(let version): "delete \(path)@\(version)"
        case .deleteTree: "delete-tree \(path)"
        }
    }
}

/// A unit of controller writes: operations that must succeed or fail together.
///
/// The shell performs each unit inside one ZooKeeper `multi` that starts with `check(/controller_epoch,
/// epochZkVersion)`, so a controller that lost its epoch (a zombie) writes nothing (KAFKA-6082). Several units may
/// share a multi; if one fails the others are retried without it. `ensureParents` lists persistent empty znodes the
/// unit's creates need; the shell creates the missing ones first (each in its own fenced multi; an existing one is
/// fine), as Kafka does for `/brokers/topics/<t>/partitions/<p>`.
public struct ZNodeWrite: Hashable, Sendable, CustomStringConvertible {
    public var operations: [ZNodeOperation]
    public var ensureParents: [String]

    public init(_ operations: [ZNodeOperation], ensureParents: [String] = []) {
        self.operations = operations
        self.ensureParents = ensureParents
    }

    public var description: String { operations.map(\.description).joined(separator: ", ") }
}

/// A znode as read again after a write to it failed: its data and version, or nil data when it does not exist.
public struct ZNodeRefresh: Hashable, Sendable {
    public var subject: ZNodeSubject
    public var data: [UInt8]?
    public var version: Int32

    public init(subject: ZNodeSubject, data: [UInt8]?, version: Int32) {
        self.subject = subject
        self.data = data
        self.version = version
    }
}

/// How the writes of one step went.
public struct ZNodeWriteResults: Hashable, Sendable {
    /// `/controller_epoch` had moved on: another controller won; this one must resign and write nothing more.
    public var fenced: Bool
    /// Units (by index) that failed, with the current content of every znode they touched.
    public var failedUnits: [Int: [ZNodeRefresh]]

    public init(fenced: Bool = false, failedUnits: [Int: [ZNodeRefresh]] = [:]) {
        self.fenced = fenced
        self.failedUnits = failedUnits
    }

    public static let allApplied = ZNodeWriteResults()
    public static let fencedOut = ZNodeWriteResults(fenced: true)
}
