import NIOCore

extension ByteBuffer {
    /// Reads a Kafka `uuid`: 16 bytes, most significant half first.
    @inlinable
    public mutating func readKafkaUUID() throws(KafkaWireError) -> KafkaUUID {
        guard self.readableBytes >= 16 else { throw .truncated("uuid", needed: 16, remaining: self.readableBytes) }
        let msb = self.readInteger(as: UInt64.self)!
        let lsb = self.readInteger(as: UInt64.self)!
        return KafkaUUID(mostSignificantBits: msb, leastSignificantBits: lsb)
    }

    /// Writes a Kafka `uuid`: 16 bytes, most significant half first.
    @inlinable
    public mutating func writeKafkaUUID(_ uuid: KafkaUUID) {
        self.writeInteger(uuid.mostSignificantBits)
        self.writeInteger(uuid.leastSignificantBits)
    }
}
