import Logging
import NIOCore

/// Serves Kafka requests on one connection: hands each frame to the processor and writes the responses in request
/// order, however they complete.
///
/// Owned by the connection's event loop; every method runs there. Invariants:
/// - responses leave in the order their requests arrived (`inFlight` is a FIFO, written only from its head);
/// - a request that may not pipeline starts only when nothing is in flight, and nothing starts after it until it
///   completes, so side effects keep request order;
/// - at most `maxQueuedRequests` requests are read ahead; beyond that the handler stops asking the socket for more;
/// - responses completed while a socket read is being processed are flushed once, at `channelReadComplete` (one
///   write system call for all the pipelined requests a read delivered, not one per response); responses completed
///   later (acks=all, long-poll fetches) are flushed at once.
final class KafkaServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = IOData

    private struct Slot {
        var correlationId: Int32
        var pipelined: Bool
        var result: Result<KafkaResponse?, any Error>?
    }

    private let processor: any KafkaRequestProcessor
    private let connectionInfo: ConnectionInfo
    private let maxQueuedRequests: Int
    private let logger: Logger
    private var waiting = CircularBuffer<RequestFrame>()
    private var inFlight = CircularBuffer<Slot>()
    /// Sequence number of `inFlight`'s head; slot `n` sits at index `n - headSequence`.
    private var headSequence: UInt64 = 0
    private var blockingInFlight = 0
    private var readHeld = false
    private var closed = false
    /// Between the first `channelRead` of a socket read and its `channelReadComplete`.
    private var reading = false
    /// Responses were written during the current read and wait for its `channelReadComplete` to be flushed.
    private var flushPending = false

    init(processor: any KafkaRequestProcessor, connection: ConnectionInfo, maxQueuedRequests: Int, logger: Logger) {
        self.processor = processor
        self.connectionInfo = connection
        self.maxQueuedRequests = maxQueuedRequests
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reading = true
        let frame = unwrapInboundIn(data)
        guard let request = RequestFrame(frame: frame) else {
            logger.debug(
                "closing: request frame shorter than its header", metadata: ["connection": "\(connectionInfo)"])
            context.close(promise: nil)
            return
        }
        waiting.append(request)
        dispatchReady(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reading = false
        if flushPending {
            flushPending = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if waiting.count + inFlight.count >= maxQueuedRequests {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        waiting.removeAll()
        for slot in inFlight {
            if case .success(let response?) = slot.result { response.releaseFiles() }
        }
        inFlight.removeAll()
        processor.connectionClosed(connectionInfo)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing connection", metadata: ["connection": "\(connectionInfo)", "error": "\(error)"])
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            logger.debug("closing idle connection", metadata: ["connection": "\(connectionInfo)"])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Starts every waiting request that the ordering rules allow.
    private func dispatchReady(context: ChannelHandlerContext) {
        while !closed, let next = waiting.first {
            let pipelined = processor.mayPipeline(apiKey: next.apiKey)
            let allowed = inFlight.isEmpty || (pipelined && blockingInFlight == 0)
            guard allowed else { break }
            waiting.removeFirst()
            start(next, pipelined: pipelined, context: context)
        }
    }

    private func start(_ request: RequestFrame, pipelined: Bool, context: ChannelHandlerContext) {
        let sequence = headSequence + UInt64(inFlight.count)
        inFlight.append(Slot(correlationId: request.correlationId, pipelined: pipelined, result: nil))
        if !pipelined { blockingInFlight += 1 }
        let future = processor.process(request, connection: connectionInfo)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        if future.eventLoop === context.eventLoop {
            future.whenComplete { result in
                let (handler, context) = bound.value
                handler.complete(sequence: sequence, result: result, context: context)
            }
        } else {
            future.hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = bound.value
                handler.complete(sequence: sequence, result: result, context: context)
            }
        }
    }

    private func complete(sequence: UInt64, result: Result<KafkaResponse?, any Error>, context: ChannelHandlerContext) {
        guard !closed else {
            if case .success(let response?) = result { response.releaseFiles() }
            return
        }
        let index = Int(sequence - headSequence)
        precondition(index >= 0 && index < inFlight.count, "response slot \(sequence) unknown (head \(headSequence))")
        inFlight[inFlight.index(inFlight.startIndex, offsetBy: index)].result = result
        flushCompleted(context: context)
    }

    /// Writes every completed response at the head of the queue, then lets waiting requests start.
    private func flushCompleted(context: ChannelHandlerContext) {
        var wrote = false
        while let head = inFlight.first, let result = head.result {
            inFlight.removeFirst()
            headSequence += 1
            if !head.pipelined { blockingInFlight -= 1 }
            switch result {
            case .success(nil):
                break
            case .success(let response?):
                write(response, context: context)
                wrote = true
            case .failure(let error):
                logger.debug(
                    "closing: request could not be answered",
                    metadata: [
                        "connection": "\(connectionInfo)", "correlation_id": "\(head.correlationId)",
                        "error": "\(error)",
                    ])
                if wrote || flushPending { context.flush() }
                context.close(promise: nil)
                return
            }
        }
        if wrote {
            if reading {
                flushPending = true
            } else {
                context.flush()
            }
        }
        dispatchReady(context: context)
        if readHeld && waiting.count + inFlight.count < maxQueuedRequests {
            readHeld = false
            context.read()
        }
    }

    private func write(_ response: KafkaResponse, context: ChannelHandlerContext) {
        var size = context.channel.allocator.buffer(capacity: 4)
        size.writeInteger(Int32(response.byteCount))
        var parts = response.parts[...]
        // Coalesce the size prefix with a leading byte part to save a write.
        if case .bytes(let first)? = parts.first {
            if first.readableBytes <= 16 * 1024 {
                var merged = first
                merged.moveReaderIndex(to: first.readerIndex)
                size.writeImmutableBuffer(merged)
                parts = parts.dropFirst()
            }
        }
        context.write(wrapOutboundOut(.byteBuffer(size)), promise: nil)
        for part in parts {
            switch part {
            case .bytes(let buffer):
                context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
            case .file(let region):
                let promise = context.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenComplete { _ in try? region.fileHandle.close() }
                context.write(wrapOutboundOut(.fileRegion(region)), promise: promise)
            }
        }
    }
}
