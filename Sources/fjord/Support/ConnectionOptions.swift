import ArgumentParser
import FjordClient
import Logging

/// Options every command takes: where the cluster is, and extra client properties.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: [.customLong("bootstrap-server"), .customShort("b")],
        help: "Comma-separated host:port list of brokers to bootstrap from.")
    var bootstrapServer: String = "localhost:9092"

    @Option(
        name: [.customLong("command-property"), .customShort("X")],
        help: "A client property as key=value (Kafka names, e.g. request.timeout.ms=5000); repeatable.")
    var properties: [String] = []

    @Flag(name: .customLong("verbose"), help: "Log client activity to stderr.")
    var verbose = false

    func bootstrapServers() throws -> [BrokerAddress] {
        try BrokerAddress.parseList(bootstrapServer)
    }

    func propertyMap() throws -> [String: String] {
        try PropertyParsing.parse(properties)
    }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .error
        return logger
    }
}

/// `key=value` parsing for `--property`, `-X` and `--producer-props`.
enum PropertyParsing {
    static func parse(_ items: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ValidationError("\"\(item)\" is not key=value")
            }
            result[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return result
    }
}
