import KafkaWire

/// Kafka topic ids in their text form: 16 random bytes as URL-safe base64 without padding (22 characters), as
/// Kafka's `Uuid.toString` prints them and as `/brokers/topics/<t>` stores them (`KafkaUUID` does the work).
public enum TopicID {
    /// A fresh random topic id (never the all-zero "no id", never starting with `-`).
    @Sendable public static func random() -> String { KafkaUUID.random().description }
}
