/// MurmurHash2 (32-bit) with the seed and final mixing Kafka's Java client uses to partition keyed records, so that
/// a key lands on the same partition whichever client produced it.
///
/// Kafka's variant: seed `0x9747b28c`, little-endian 4-byte blocks, the tail mixed in little-endian order, and
/// arithmetic on signed 32-bit integers with wrap-around. The partition of a key is
/// `(murmur2(key) & 0x7fffffff) % partitionCount` (``Murmur2/partition(forKey:partitionCount:)``).
public enum Murmur2 {
    private static let seed: UInt32 = 0x9747_b28c
    private static let m: UInt32 = 0x5bd1_e995
    private static let r: UInt32 = 24

    /// The hash of `bytes`, as a signed 32-bit value like Java's `Utils.murmur2`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        let length = bytes.count
        var h = seed ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        for i in 0..<blocks {
            let base = i * 4
            var k =
                UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16
                | UInt32(bytes[base + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = blocks * 4
        switch length & 3 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 1:
            h ^= UInt32(bytes[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// The hash of a byte sequence.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> Int32 where Bytes.Element == UInt8 {
        let array = Array(bytes)
        return array.withUnsafeBytes { hash($0) }
    }

    /// Java's `Utils.toPositive`: clears the sign bit (not `abs`, which fails on `Int32.min`).
    @inlinable public static func toPositive(_ value: Int32) -> Int32 { value & 0x7fff_ffff }

    /// The partition Kafka's default partitioner picks for a non-null key.
    public static func partition(forKey key: UnsafeRawBufferPointer, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "a topic has at least one partition")
        return toPositive(hash(key)) % partitionCount
    }
}
