/// The epoch of a partition's leadership. The controller bumps it each time it elects a leader; every batch the
/// leader appends is stamped with it, and followers truncate by it (KIP-101). `-1` means unknown.
public struct LeaderEpoch: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int32) { self.rawValue = value }
    public static let none = LeaderEpoch(-1)
    @inlinable public static func < (lhs: LeaderEpoch, rhs: LeaderEpoch) -> Bool { lhs.rawValue < rhs.rawValue }
    @inlinable public func next() -> LeaderEpoch { LeaderEpoch(rawValue + 1) }
    public var description: String { String(rawValue) }
}

/// The epoch of the active controller: the version of `/controller_epoch`'s content. Brokers reject control requests
/// that carry an older one (KAFKA-6082).
public struct ControllerEpoch: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int32) { self.rawValue = value }
    public static let none = ControllerEpoch(-1)
    @inlinable public static func < (lhs: ControllerEpoch, rhs: ControllerEpoch) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
    public var description: String { String(rawValue) }
}

/// A broker's epoch: the creation zxid (czxid) of its ephemeral `/brokers/ids/<id>` znode. A broker that restarts
/// gets a larger one, so control requests meant for its previous incarnation can be rejected (KIP-380).
public struct BrokerEpoch: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int64) { self.rawValue = value }
    public static let none = BrokerEpoch(-1)
    @inlinable public static func < (lhs: BrokerEpoch, rhs: BrokerEpoch) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
