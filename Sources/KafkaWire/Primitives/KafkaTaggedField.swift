import NIOCore

/// One entry of a tagged-fields section (flexible versions, KIP-482) that the decoder did not recognise.
///
/// Decoders keep such fields, in the order read, so that a message decoded and written again carries them
/// unchanged: a newer peer's optional data survives a round trip through Fjord.
public struct KafkaTaggedField: Hashable, Sendable {
    /// The field's tag, unique within its section.
    public var tag: UInt32
    /// The field's bytes, a slice of the decoded input (no copy).
    public var data: ByteBuffer

    public init(tag: UInt32, data: ByteBuffer) {
        self.tag = tag
        self.data = data
    }
}
