import KafkaProtocol
import KafkaWire
import NIOCore
import Testing

/// Fjord's tagged field in DescribeCluster responses (``FjordActiveController``).
@Suite struct ActiveControllerTagTests {
    @Test(arguments: [Int16(0), 1])
    func travelsInADescribeClusterResponseAndIsFoundAgain(version: Int16) throws {
        let active = FjordActiveController(controllerID: 2, host: "controller2.example.internal", port: 9191)
        var response = DescribeClusterResponse(clusterId: "c", controllerId: 1)
        response.unknownTaggedFields.append(active.taggedField)
        var buffer = ByteBuffer()
        response.write(to: &buffer, version: version)
        let decoded = try DescribeClusterResponse(from: &buffer, version: version, limits: DecodeLimits())
        #expect(buffer.readableBytes == 0)
        #expect(decoded.controllerId == 1, "the Kafka field keeps its meaning")
        #expect(try FjordActiveController.find(in: decoded.unknownTaggedFields) == active)
    }

    @Test func absentOrMalformed() throws {
        #expect(try FjordActiveController.find(in: []) == nil)
        var short = ByteBuffer()
        short.writeInteger(Int32(2))
        #expect(throws: KafkaWireError.self) {
            try FjordActiveController.find(in: [KafkaTaggedField(tag: FjordActiveController.tag, data: short)])
        }
    }
}
