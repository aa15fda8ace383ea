import KafkaWire
import NIOCore

/// Fjord's one extension of a Kafka message: a DescribeCluster response carries, in a tagged field, the active
/// fjord-controller process (its `controller.id` and RPC endpoint, as ZooKeeper's `/controller` names it).
///
/// DescribeCluster's `controller_id` stays what Kafka clients expect there — a live broker that takes admin requests
/// (PROFILE trap 8) — because in Fjord the controller is a separate process no client may connect to. Every version
/// of DescribeCluster is flexible, and Kafka's clients skip tags they do not know, so the field is invisible to them.
/// The tag number sits far above Kafka's (which count up from 0) so a future Kafka field cannot collide with it.
/// Layout of the field's bytes: int32 controller id, compact string host, int32 port.
public struct FjordActiveController: Hashable, Sendable {
    public static let tag: UInt32 = 10_000

    public var controllerID: Int32
    public var host: String
    public var port: Int32

    public init(controllerID: Int32, host: String, port: Int32) {
        self.controllerID = controllerID
        self.host = host
        self.port = port
    }

    public var taggedField: KafkaTaggedField {
        var data = ByteBuffer()
        data.writeInteger(controllerID)
        data.writeCompactString(host)
        data.writeInteger(port)
        return KafkaTaggedField(tag: Self.tag, data: data)
    }

    /// The field in `fields`, or nil when absent (a Kafka broker, or no active controller).
    ///
    /// - Throws: `KafkaWireError` when the field is present but malformed.
    public static func find(in fields: [KafkaTaggedField], limits: DecodeLimits = DecodeLimits()) throws(KafkaWireError)
        -> FjordActiveController?
    {
        guard var data = fields.first(where: { $0.tag == tag })?.data else { return nil }
        let id = try data.readInt32()
        let host = try data.readCompactString(limits: limits)
        let port = try data.readInt32()
        return FjordActiveController(controllerID: id, host: host, port: port)
    }
}
