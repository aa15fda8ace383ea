import NIOCore
import Testing

@testable import FjordClient

@Suite struct RequestStampTests {
    /// A frame: size, API key 0, version 8, correlation id 0, then `bodyBytes` bytes.
    func frame(bodyBytes: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(8 + bodyBytes))
        buffer.writeInteger(Int16(0))
        buffer.writeInteger(Int16(8))
        buffer.writeInteger(Int32(0))
        buffer.writeBytes((0..<bodyBytes).map { UInt8(truncatingIfNeeded: $0) })
        return buffer
    }

    @Test func theCorrelationIdGoesInACopiedPrefixAndTheRestIsShared() {
        let original = frame(bodyBytes: 100_000)
        let (head, body) = RequestChannelHandler.stamp(original, correlationId: 4711)
        #expect(head.readableBytes == 12)
        #expect(head.getInteger(at: head.readerIndex + 8, as: Int32.self) == 4711)
        var joined = head
        joined.writeImmutableBuffer(body!)
        var expected = original
        expected.setInteger(Int32(4711), at: 8)
        #expect(joined == expected)
        // The caller's frame is untouched (it still says 0) and the body is a view of its storage.
        #expect(original.getInteger(at: 8, as: Int32.self) == 0)
        let sharesStorage = original.withUnsafeReadableBytes { whole in
            body!.withUnsafeReadableBytes { part in part.baseAddress == whole.baseAddress! + 12 }
        }
        #expect(sharesStorage)
    }

    @Test func aFrameOfOnlyAHeaderIsWrittenWhole() {
        let (head, body) = RequestChannelHandler.stamp(frame(bodyBytes: 0), correlationId: 9)
        #expect(body == nil && head.readableBytes == 12)
        #expect(head.getInteger(at: head.readerIndex + 8, as: Int32.self) == 9)
    }
}
