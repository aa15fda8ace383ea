import ArgumentParser
import FjordClient
import FjordModel
import KafkaWire
import NIOCore
import Synchronization

/// `fjord produce`: lines from stdin become records, like `kafka-console-producer.sh`.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Produce records read from stdin, one per line (kafka-console-producer.sh).")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.long, .customShort("t")], help: "The topic to produce to.")
    var topic: String

    @Option(
        name: .long,
        help: "Line reader property: parse.key=true, key.separator=:, parse.headers=true, null.marker=…; repeatable.")
    var property: [String] = []

    @Option(name: [.customLong("header"), .customShort("H")], help: "A header key=value added to every record.")
    var header: [String] = []

    @Option(name: .long, help: "acks: 0, 1 or all.")
    var acks: String = "all"

    @Option(
        name: [.customLong("compression-codec"), .customLong("compression")], help: "none, gzip, snappy, lz4 or zstd.")
    var compression: String = "none"

    @Option(name: [.long, .customShort("p")], help: "Send every record to this partition.")
    var partition: Int32?

    @Option(name: .customLong("producer-property"), help: "A producer property key=value; repeatable.")
    var producerProperty: [String] = []

    @Flag(name: .long, help: "Wait for each record's acknowledgement before reading the next line.")
    var sync = false

    func run() async throws {
        try await CommandErrors.reporting {
            let properties = try PropertyParsing.parse(property)
            let parser = ConsoleLineParser(properties: properties)
            var configuration = ProducerConfiguration(bootstrapServers: try connection.bootstrapServers())
            configuration.clientId = "fjord-console-producer"
            configuration.maxBlock = .seconds(15)
            guard let acksValue = ProducerConfiguration.Acks(parsing: acks) else {
                throw ValidationError("--acks must be 0, 1 or all")
            }
            configuration.acks = acksValue
            guard let codec = CompressionCodec.parse(compression) else {
                throw ValidationError("--compression must be none, gzip, snappy, lz4 or zstd")
            }
            configuration.compression = codec
            let extra = try connection.propertyMap().merging(
                PropertyParsing.parse(producerProperty), uniquingKeysWith: { $1 })
            for (key, value) in extra {
                try configuration.apply(key, value)
            }
            let staticHeaders = try PropertyParsing.parseOrdered(header).map {
                RecordHeader(key: $0.0, value: ByteBuffer(string: $0.1))
            }
            let failures = Mutex<(count: Int, first: KafkaClientError?)>((0, nil))
            let producer = try Producer(
                configuration: configuration, logger: connection.logger("fjord.produce"),
                deliveryReportHandler: { report in
                    guard let error = report.error else { return }
                    failures.withLock { f in
                        f.count += report.deliveries.count
                        if f.first == nil { f.first = error }
                    }
                })
            var lineNumber = 0
            var failure: (any Error)?
            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                do {
                    let parsed = try parser.parse(line, lineNumber: lineNumber)
                    let headers =
                        staticHeaders
                        + parsed.headers.map { RecordHeader(key: $0.0, value: $0.1.map { ByteBuffer(string: $0) }) }
                    let key = parsed.key.map { ByteBuffer(string: $0) }
                    let value = parsed.value.map { ByteBuffer(string: $0) }
                    let p = partition.map { PartitionID($0) }
                    if sync {
                        _ = try await producer.send(
                            topic: topic, key: key, value: value, headers: headers, partition: p)
                    } else {
                        try await producer.enqueue(
                            topic: topic, key: key, value: value, headers: headers, partition: p,
                            deliveryId: UInt64(lineNumber))
                    }
                } catch {
                    failure = error
                    break
                }
            }
            await producer.close()
            if let failure { throw failure }
            let (count, first) = failures.withLock { ($0.count, $0.first) }
            if let first {
                throw KafkaClientError(
                    first.kind, "\(count) record(s) failed: \(first.message)", errorCode: first.errorCode)
            }
        }
    }
}

extension PropertyParsing {
    /// `key=value` items in order (duplicates kept), for headers.
    static func parseOrdered(_ items: [String]) throws -> [(String, String)] {
        try items.map { item in
            guard let eq = item.firstIndex(of: "=") else { throw ValidationError("\"\(item)\" is not key=value") }
            return (String(item[..<eq]), String(item[item.index(after: eq)...]))
        }
    }
}
