import CCRC32C

/// CRC-32C (Castagnoli), the checksum of record batches v2.
///
/// Runs on the CPU's `crc32` instruction (SSE4.2, three interleaved streams) where present, else on
/// slicing-by-8 tables. `update` chains: the CRC of `a + b` is `update(update(0, a), b)`.
public enum CRC32C {
    /// Extends `crc` over the bytes.
    @inlinable
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return fjord_crc32c(crc, base, bytes.count)
    }

    /// The CRC-32C of `bytes`.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }

    /// The CRC-32C of a byte collection.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) {
            return crc
        }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    /// The software path alone, for tests and benchmarks.
    public static func softwareChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        return fjord_crc32c_software(0, base, bytes.count)
    }

    /// Whether the `crc32` instruction path is in use on this CPU.
    public static var isHardwareAccelerated: Bool { fjord_crc32c_hardware_available() != 0 }
}
