import Prometheus
import Synchronization

/// Per-topic throughput counters of a broker: `fjord_topic_bytes_in_total{topic}` (record batch bytes appended by
/// producers), `fjord_topic_messages_in_total{topic}` (records appended), `fjord_topic_bytes_out_total{topic}`
/// (record bytes sent to consumers; follower fetches count in ``ReplicaManagerMetrics`` instead).
///
/// ``topic(_:)`` takes a lock and a dictionary lookup: call it when a partition is created or becomes leader and keep
/// the ``TopicMetrics`` on the partition, so the produce and fetch paths touch only atomics. Thread-safe.
public final class TopicMetricsRegistry: Sendable {
    private let metrics: FjordMetrics
    private let topics = Mutex<[String: TopicMetrics]>([:])

    public init(metrics: FjordMetrics) { self.metrics = metrics }

    /// The counters of `topic`, created on first use.
    public func topic(_ topic: String) -> TopicMetrics {
        topics.withLock { topics in
            if let existing = topics[topic] { return existing }
            let created = TopicMetrics(metrics: metrics, topic: topic)
            topics[topic] = created
            return created
        }
    }

    /// Drops a deleted topic's series from `/metrics`. Handles still held keep counting, invisibly.
    public func remove(topic: String) {
        guard let removed = topics.withLock({ $0.removeValue(forKey: topic) }) else { return }
        metrics.registry.unregisterCounter(removed.bytesIn)
        metrics.registry.unregisterCounter(removed.bytesOut)
        metrics.registry.unregisterCounter(removed.messagesIn)
    }
}

/// The throughput counters of one topic. Thread-safe (atomics).
public final class TopicMetrics: Sendable {
    public let topic: String
    let bytesIn: Prometheus.Counter
    let bytesOut: Prometheus.Counter
    let messagesIn: Prometheus.Counter

    init(metrics: FjordMetrics, topic: String) {
        self.topic = topic
        let labels = [("topic", topic)]
        bytesIn = metrics.counter(
            MetricName.topicBytesIn, "Record batch bytes appended by producers, by topic.", labels: labels)
        bytesOut = metrics.counter(
            MetricName.topicBytesOut, "Record bytes sent to consumers, by topic.", labels: labels)
        messagesIn = metrics.counter(
            MetricName.topicMessagesIn, "Records appended by producers, by topic.", labels: labels)
    }

    /// A produced batch was appended: its size and record count (both from the batch header).
    @inline(__always)
    public func recordAppend(bytes: Int, records: Int) {
        bytesIn.increment(by: Int64(bytes))
        messagesIn.increment(by: Int64(records))
    }

    /// Record bytes were sent to a consumer.
    @inline(__always)
    public func recordFetch(bytes: Int) {
        bytesOut.increment(by: Int64(bytes))
    }
}
