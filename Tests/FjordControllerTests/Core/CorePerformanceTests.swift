import FjordCluster
import FjordController
import FjordModel
import Foundation
import Testing

/// The core's own cost with 1,000 partitions (no I/O): failover and a broker failure.
@Suite struct CorePerformanceTests {
    @Test func thousandPartitionsFailoverAndBrokerFailure() {
        var h = CoreHarness()
        h.brokers = [broker(1), broker(2), broker(3)]
        for t in 0..<10 {
            h.createTopic("load-\(t)", (0..<100).map { p in (0..<3).map { Int32((p + t + $0) % 3 + 1) } })
            for p in 0..<100 {
                let r = (0..<3).map { Int32((p + t + $0) % 3 + 1) }
                h.putState(tp("load-\(t)", Int32(p)), leader: r[0], epoch: 3, isr: r)
            }
        }
        let clock = ContinuousClock()
        let snapshot = h.snapshot()
        let start = clock.now
        let failover = h.run(.becameActive(snapshot))
        let failoverElapsed = clock.now - start
        #expect(failover.leaderAndIsr(to: 1).count == 1_000)
        let start2 = clock.now
        let failure = h.setBrokers([broker(2), broker(3)])
        let failureElapsed = clock.now - start2
        #expect(h.context.leadership.values.allSatisfy { $0.leader != BrokerID(1) && !$0.isr.contains(BrokerID(1)) })
        #expect(failure.leaderAndIsr(to: 2).count == 1_000)
        print("core (1,000 partitions): failover \(failoverElapsed), broker failure \(failureElapsed)")
        #expect(failoverElapsed < .seconds(2))
    }
}
