/// A position in a partition's log: the offset Kafka assigns to each record.
///
/// Offsets start at 0 and grow by one per record. `-1` is used on the wire for "none" (``Offset/none``).
/// Keeping offsets in their own type stops them being mixed up with byte positions, epochs or counts.
public struct Offset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int64) { self.rawValue = value }

    /// The wire value for "no offset" (`-1`).
    public static let none = Offset(-1)
    public static let zero = Offset(0)

    @inlinable public static func < (lhs: Offset, rhs: Offset) -> Bool { lhs.rawValue < rhs.rawValue }
    @inlinable public static func + (lhs: Offset, rhs: Int64) -> Offset { Offset(lhs.rawValue + rhs) }
    @inlinable public static func - (lhs: Offset, rhs: Int64) -> Offset { Offset(lhs.rawValue - rhs) }
    /// The number of offsets between two positions.
    @inlinable public static func - (lhs: Offset, rhs: Offset) -> Int64 { lhs.rawValue - rhs.rawValue }

    public var description: String { String(rawValue) }
}
