import FjordCluster

/// The znodes of one group under `/consumer_groups` (docs/group-coordinator.md):
///
/// | node | kind | content |
/// |---|---|---|
/// | `/consumer_groups/<g>` | persistent | empty; parent of the rest |
/// | `…/owner` | ephemeral | ``GroupCoordinatorClaim``: the broker coordinating the group |
/// | `…/epoch` | persistent | the latest ``GroupCoordinatorClaim``; its **version** is the coordinator epoch |
/// | `…/metadata` | persistent | ``GroupMetadataRecord`` |
/// | `…/offsets` | persistent | ``GroupOffsetsRecord`` |
///
/// `<g>` is the group id encoded by ``encode(_:)``, because group ids may hold `/` and other characters a znode
/// name cannot.
public struct GroupZNodePaths: Hashable, Sendable {
    public let groupID: GroupID
    /// The encoded group id: the last segment of ``group``.
    public let name: String

    public init(_ groupID: GroupID) {
        self.groupID = groupID
        self.name = Self.encode(groupID)
    }

    public var group: String { ZNodePaths.group(name) }
    public var owner: String { ZNodePaths.groupOwner(name) }
    public var epoch: String { "\(ZNodePaths.group(name))/epoch" }
    public var metadata: String { ZNodePaths.groupMetadata(name) }
    public var offsets: String { ZNodePaths.groupOffsets(name) }

    /// Encodes a group id as a znode name: ASCII letters, digits, `.`, `_` and `-` stay; every other byte of the
    /// UTF-8 form becomes `%XX` (upper-case hex). `.` and `..` (reserved by ZooKeeper) are encoded entirely, and the
    /// empty id (legal for offset commits) becomes `%`, which no encoding of a non-empty id produces.
    public static func encode(_ groupID: GroupID) -> String {
        let raw = groupID.rawValue
        if raw.isEmpty { return "%" }
        let forceAll = raw == "." || raw == ".."
        var out = ""
        for byte in raw.utf8 {
            if !forceAll && isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + hex(byte >> 4) + hex(byte & 0xF)
            }
        }
        return out
    }

    /// The group id a znode name stands for, or nil if the name is not an encoding ``encode(_:)`` produces.
    public static func decode(_ name: String) -> GroupID? {
        if name == "%" { return GroupID("") }
        var bytes: [UInt8] = []
        var iterator = Array(name.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else if isUnreserved(byte) {
                bytes.append(byte)
            } else {
                return nil
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let id = GroupID(text)
        return encode(id) == name ? id : nil
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2E || byte == 0x5F || byte == 0x2D
    }

    private static func hex(_ nibble: UInt8) -> String {
        String(UnicodeScalar(nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
