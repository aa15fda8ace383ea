import NIOCore

/// A request on its way to the broker: a whole frame (size prefix included) whose correlation id is still a
/// placeholder, and the promise its response completes.
struct OutboundRequest {
    var frame: ByteBuffer
    /// False for acks=0 produce requests: the broker sends nothing back, and the promise completes (with an empty
    /// buffer) once the frame is written.
    var expectsResponse: Bool
    var timeout: TimeAmount
    var promise: EventLoopPromise<ByteBuffer>
}

/// Matches responses to requests. Requests are pipelined; a Kafka broker answers each connection's requests in the
/// order it received them, so responses are matched to the oldest pending request and a correlation id that does
/// not match it closes the connection.
///
/// Owned by its channel's event loop. Correlation ids are assigned here, on the loop, in write order (1, 2, …,
/// wrapping after `Int32.max` back to 1), and patched into the frame at byte 8 (after size, API key and version).
/// A request without a response within its timeout fails with ``KafkaClientError/Kind/requestTimedOut`` and the
/// connection closes, failing every other pending request with ``KafkaClientError/Kind/connectionClosed`` — the
/// Java client does the same, so a late response can never be matched to the wrong request.
final class RequestChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutboundRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var correlationId: Int32
        var promise: EventLoopPromise<ByteBuffer>
        var timeout: Scheduled<Void>?
    }

    private var pending = CircularBuffer<Pending>(initialCapacity: 8)
    private var nextCorrelationId: Int32 = 1
    private var isClosed = false
    private let description: String

    init(description: String) {
        self.description = description
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard !isClosed else {
            request.promise.fail(closedError())
            promise?.fail(closedError())
            return
        }
        let correlationId = nextCorrelationId
        nextCorrelationId = correlationId == Int32.max ? 1 : correlationId + 1
        let (head, body) = Self.stamp(request.frame, correlationId: correlationId)
        if body != nil { context.write(wrapOutboundOut(head), promise: nil) }
        let frame = body ?? head
        if request.expectsResponse {
            let loop = context.eventLoop.assumeIsolated()
            let timeoutTask = loop.scheduleTask(in: request.timeout) { [weak self] () -> Void in
                guard let self else { return }
                self.timedOut(correlationId: correlationId, context: context)
            }
            pending.append(Pending(correlationId: correlationId, promise: request.promise, timeout: timeoutTask))
            context.write(wrapOutboundOut(frame), promise: promise)
        } else {
            let written = context.eventLoop.makePromise(of: Void.self)
            let responsePromise = request.promise
            let empty = context.channel.allocator.buffer(capacity: 0)
            written.futureResult.whenComplete { result in
                switch result {
                case .success: responsePromise.succeed(empty)
                case .failure(let error): responsePromise.fail(error)
                }
            }
            promise.map { written.futureResult.cascade(to: $0) }
            context.write(wrapOutboundOut(frame), promise: written)
        }
    }

    /// Bytes of a request frame up to and including the correlation id: size, API key, API version, correlation id.
    static let stampedPrefixBytes = 12

    /// The frame with `correlationId` in its header, as two slices written back to back: a copy of its first
    /// ``stampedPrefixBytes`` with the id set, and the rest of the frame, shared (`nil` when the frame is only that
    /// prefix). Setting the id in the caller's frame itself would copy the whole frame — a produce request's record
    /// batches included — because the caller's request still references it (copy-on-write).
    static func stamp(_ frame: ByteBuffer, correlationId: Int32) -> (head: ByteBuffer, body: ByteBuffer?) {
        let prefix = min(stampedPrefixBytes, frame.readableBytes)
        var head = ByteBufferAllocator().buffer(capacity: prefix)
        head.writeImmutableBuffer(frame.getSlice(at: frame.readerIndex, length: prefix)!)
        if prefix == stampedPrefixBytes { head.setInteger(correlationId, at: 8) }
        let rest = frame.readableBytes - prefix
        return (head, rest > 0 ? frame.getSlice(at: frame.readerIndex + prefix, length: rest) : nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let correlationId = frame.getInteger(at: frame.readerIndex, as: Int32.self) else {
            fail(context: context, KafkaClientError(.protocolViolation, "\(description): response without header"))
            return
        }
        guard let head = pending.first, head.correlationId == correlationId else {
            let expected = pending.first.map { String($0.correlationId) } ?? "none"
            fail(
                context: context,
                KafkaClientError(
                    .protocolViolation,
                    "\(description): response correlation id \(correlationId), expected \(expected)"))
            return
        }
        pending.removeFirst()
        head.timeout?.cancel()
        head.promise.succeed(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        failAll(closedError())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error)
    }

    private func timedOut(correlationId: Int32, context: ChannelHandlerContext) {
        guard let index = pending.firstIndex(where: { $0.correlationId == correlationId }) else { return }
        let entry = pending.remove(at: index)
        entry.promise.fail(KafkaClientError(.requestTimedOut, "\(description): no response within the request timeout"))
        fail(context: context, closedError())
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        isClosed = true
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let entry = pending.popFirst() {
            entry.timeout?.cancel()
            entry.promise.fail(error)
        }
    }

    private func closedError() -> KafkaClientError {
        KafkaClientError(.connectionClosed, "\(description): connection closed before the response arrived")
    }
}
