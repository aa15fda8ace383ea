import FjordModel
import Testing

@Suite struct TopicNameTests {
    @Test(arguments: ["orders", "a", "orders.v2", "my_topic-1", String(repeating: "x", count: 249)])
    func legalNamesPass(name: String) {
        #expect(TopicName(name).validationError == nil)
    }

    @Test func emptyDotAndDotDotAreRefused() {
        #expect(TopicName("").validationError?.contains("empty") == true)
        #expect(TopicName(".").validationError != nil)
        #expect(TopicName("..").validationError != nil)
        // Dots inside a longer name are fine.
        #expect(TopicName("...a").validationError == nil)
    }

    @Test func overlongNameIsRefused() {
        let error = TopicName(String(repeating: "x", count: 250)).validationError
        #expect(error?.contains("249") == true)
    }

    @Test(arguments: ["with space", "slash/inside", "ünïcode", "star*", "colon:x", "tab\t"])
    func illegalCharactersAreRefused(name: String) {
        #expect(TopicName(name).validationError?.contains("illegal") == true)
    }

    @Test func partitionDirectoryNameIsTopicDashPartition() {
        let tp = TopicPartition(topic: "orders.v2", partition: 17)
        #expect(tp.directoryName == "orders.v2-17")
        #expect(tp.description == "orders.v2-17")
    }

    @Test func topicPartitionsOrderByTopicThenPartition() {
        let unsorted = [
            TopicPartition(topic: "b", partition: 0), TopicPartition(topic: "a", partition: 10),
            TopicPartition(topic: "a", partition: 2),
        ]
        #expect(
            unsorted.sorted() == [
                TopicPartition(topic: "a", partition: 2), TopicPartition(topic: "a", partition: 10),
                TopicPartition(topic: "b", partition: 0),
            ])
    }
}

@Suite struct OffsetAndEpochTests {
    @Test func offsetArithmetic() {
        let start = Offset(100)
        #expect(start + 5 == Offset(105))
        #expect(start - 1 == Offset(99))
        #expect(Offset(105) - start == 5)
        #expect(Offset.none < Offset.zero)
    }

    @Test func epochsCompareByValueAndAdvanceByOne() {
        #expect(LeaderEpoch(3).next() == LeaderEpoch(4))
        #expect(LeaderEpoch.none < LeaderEpoch(0))
        #expect(ControllerEpoch(2) < ControllerEpoch(10))
        #expect(BrokerEpoch(0x1_0000_0000) > BrokerEpoch(5))
    }

    @Test func monotonicClockNeverGoesBack() {
        var last = MonotonicClock.nowNs()
        for _ in 0..<1000 {
            let now = MonotonicClock.nowNs()
            #expect(now >= last)
            last = now
        }
        #expect(TimestampMs.now().rawValue > 1_600_000_000_000)
    }
}
