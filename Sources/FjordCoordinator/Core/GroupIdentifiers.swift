/// A consumer group's id (`group.id`), as clients send it.
///
/// Kafka accepts any string; the empty id is allowed for OffsetCommit, OffsetFetch, DescribeGroups and
/// DeleteGroups only (see ``GroupAPI``). ZooKeeper paths use an encoded form (``GroupZNodePaths``).
public struct GroupID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { self.rawValue = value }
    public init(stringLiteral value: String) { self.rawValue = value }
    public static func < (lhs: GroupID, rhs: GroupID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// The id the coordinator hands a group member (`<client id or instance id>-<suffix>`); empty means "not yet known".
public struct MemberID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { self.rawValue = value }
    public init(stringLiteral value: String) { self.rawValue = value }
    /// The wire value a member sends before the coordinator gave it an id (Kafka's `UNKNOWN_MEMBER_ID`, "").
    public static let unknown = MemberID("")
    public var isUnknown: Bool { rawValue.isEmpty }
    public static func < (lhs: MemberID, rhs: MemberID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// A static member's `group.instance.id` (KIP-345): stable across restarts of the same consumer process.
public struct GroupInstanceID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { self.rawValue = value }
    public init(stringLiteral value: String) { self.rawValue = value }
    public static func < (lhs: GroupInstanceID, rhs: GroupInstanceID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// A group's generation: bumped each time a rebalance completes. `-1` on the wire means "none" (a simple consumer's
/// commit, or an error response).
public struct GenerationID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int32) { self.rawValue = value }
    /// Kafka's `NoGeneration`.
    public static let none = GenerationID(-1)
    @inlinable public static func < (lhs: GenerationID, rhs: GenerationID) -> Bool { lhs.rawValue < rhs.rawValue }
    @inlinable public func next() -> GenerationID { GenerationID(rawValue + 1) }
    public var description: String { String(rawValue) }
}

/// An opaque handle the shell attaches to a request it hands the state machine. The machine answers each token
/// exactly once, possibly much later (JoinGroup and SyncGroup responses are held until the rebalance completes).
public struct RequestToken: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt64) { self.rawValue = value }
    public var description: String { "#\(rawValue)" }
}

/// Names one ``GroupWrite`` the machine asked the shell to persist; the shell reports its outcome with
/// ``GroupStateMachine/writeCompleted(_:error:now:)``. Tickets grow by one per write of a machine, so their order is
/// the order in which the writes must reach ZooKeeper.
public struct WriteTicket: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt64) { self.rawValue = value }
    @inlinable public static func < (lhs: WriteTicket, rhs: WriteTicket) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "w\(rawValue)" }
}
