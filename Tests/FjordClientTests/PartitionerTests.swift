import FjordModel
import Testing

@testable import FjordClient

@Suite("murmur2 and the default partitioner")
struct PartitionerTests {
    /// Vectors from Kafka's `UtilsTest.testMurmur2`, cross-checked with the Python reference in
    /// Tests/Integration/test_swift_client.py.
    @Test(arguments: [
        ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971), ("abc", 479_470_107), ("", 275_646_681),
    ])
    func murmur2Vectors(key: String, expected: Int32) {
        #expect(Murmur2.hash(Array(key.utf8)) == expected)
    }

    @Test func keyedPartitionMatchesJavaFormula() {
        // (murmur2 & 0x7fffffff) % n: "k1" → 2 and "k2" → 0 of 3 partitions, as librdkafka's murmur2_random.
        #expect(Array("k1".utf8).withUnsafeBytes { Murmur2.partition(forKey: $0, partitionCount: 3) } == 2)
        #expect(Array("k2".utf8).withUnsafeBytes { Murmur2.partition(forKey: $0, partitionCount: 3) } == 0)
        #expect(Murmur2.toPositive(Int32.min) == 0)
        #expect(Murmur2.toPositive(-1) == Int32.max)
    }

    @Test func stickyPartitionerSticksUntilBatchSizeThenSwitches() {
        var sticky = StickyPartitioner(partitionCount: 4, available: [0, 1, 2, 3], switchAfterBytes: 100)
        let first = sticky.partitionForUnkeyed(sizeBytes: 40, random: 7)
        #expect(sticky.partitionForUnkeyed(sizeBytes: 40, random: 1) == first)
        #expect(sticky.partitionForUnkeyed(sizeBytes: 40, random: 2) == first)
        // 120 bytes went to `first`: the next record picks another partition.
        let second = sticky.partitionForUnkeyed(sizeBytes: 40, random: 3)
        #expect(second != first)
    }

    @Test func stickyPartitionerUsesOnlyPartitionsWithALeader() {
        var sticky = StickyPartitioner(partitionCount: 6, available: [4], switchAfterBytes: 1)
        for i in 0..<20 {
            #expect(sticky.partitionForUnkeyed(sizeBytes: 10, random: i) == 4)
        }
        sticky.update(partitionCount: 6, available: [])
        #expect(sticky.available == [0, 1, 2, 3, 4, 5], "no leader anywhere: records wait on any partition")
    }

    @Test func stickySpreadsOverPartitions() {
        var sticky = StickyPartitioner(partitionCount: 3, available: [0, 1, 2], switchAfterBytes: 10)
        var seen = Set<Int32>()
        var lcg: UInt64 = 12345
        for _ in 0..<100 {
            lcg = lcg &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            seen.insert(sticky.partitionForUnkeyed(sizeBytes: 10, random: Int(lcg >> 33)))
        }
        #expect(seen == [0, 1, 2])
    }
}
