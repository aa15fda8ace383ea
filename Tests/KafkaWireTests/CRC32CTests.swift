import KafkaWire
import Testing

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    /// Every length up to past three long blocks, at every alignment, agrees with the software path: this exercises
    /// the interleaved streams and their recombination.
    @Test func hardwareMatchesSoftware() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<(8192 * 3 + 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        data.withUnsafeBytes { raw in
            for length in [0, 1, 7, 8, 9, 255, 256, 767, 768, 769, 1000, 8192 * 3 - 1, 8192 * 3, 8192 * 3 + 9] {
                for shift in 0..<8 where shift + length <= raw.count {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[shift..<(shift + length)])
                    #expect(CRC32C.checksum(slice) == CRC32C.softwareChecksum(slice))
                }
            }
        }
    }

    @Test func chaining() {
        let a = Array("hello, ".utf8)
        let b = Array("world".utf8)
        let whole = CRC32C.checksum(a + b)
        let chained = b.withUnsafeBytes { CRC32C.update(CRC32C.checksum(a), $0) }
        #expect(whole == chained)
    }
}
