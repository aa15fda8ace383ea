/// A broker's configured `broker.id`. `-1` on the wire means "no broker" (for example, no leader).
public struct BrokerID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int32) { self.rawValue = value }
    /// The wire value for "no broker".
    public static let none = BrokerID(-1)
    @inlinable public static func < (lhs: BrokerID, rhs: BrokerID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// A partition's index within its topic, from 0.
public struct PartitionID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int32) { self.rawValue = value }
    @inlinable public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// A producer id handed out by InitProducerId; `-1` means "not idempotent".
public struct ProducerID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int64) { self.rawValue = value }
    public static let none = ProducerID(-1)
    @inlinable public static func < (lhs: ProducerID, rhs: ProducerID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// The epoch of a producer id; bumped to fence an older incarnation of the same producer. `-1` means none.
public struct ProducerEpoch: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    @inlinable public init(rawValue: Int16) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int16) { self.rawValue = value }
    public static let none = ProducerEpoch(-1)
    @inlinable public static func < (lhs: ProducerEpoch, rhs: ProducerEpoch) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
