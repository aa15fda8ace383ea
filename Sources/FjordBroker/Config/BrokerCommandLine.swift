import FjordCluster

/// The `fjord-broker` command line, Kafka style:
///
///     fjord-broker [--config] server.properties [--override key=value]...
///     fjord-broker --print-config-keys
///     fjord-broker --help
public struct BrokerCommandLine: Hashable, Sendable {
    public enum Action: Hashable, Sendable {
        case run
        case printConfigKeys
        case help
    }

    public var action: Action = .run
    public var configFile: String?
    public var overrides: [String: String] = [:]

    public init() {}

    /// Parses the arguments after the program name.
    public init(arguments: [String]) throws(ConfigError) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--help", "-h":
                action = .help
            case "--print-config-keys":
                action = .printConfigKeys
            case "--config", "-c":
                guard let file = rest.popFirst() else { throw ConfigError("--config needs a file name") }
                configFile = file
            case "--override":
                guard let pair = rest.popFirst() else { throw ConfigError("--override needs key=value") }
                try addOverride(pair)
            default:
                if argument.hasPrefix("--override=") {
                    try addOverride(String(argument.dropFirst("--override=".count)))
                } else if argument.hasPrefix("--config=") {
                    configFile = String(argument.dropFirst("--config=".count))
                } else if !argument.hasPrefix("-") && configFile == nil {
                    configFile = argument
                } else {
                    throw ConfigError("unknown argument \(argument); see fjord-broker --help")
                }
            }
        }
    }

    private mutating func addOverride(_ pair: String) throws(ConfigError) {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw ConfigError("--override \(pair) is not key=value")
        }
        overrides[String(pair[..<eq]).trimmingWhitespace()] = String(pair[pair.index(after: eq)...])
    }

    public static let usage = """
        Usage: fjord-broker [--config] <server.properties> [--override key=value]...
               fjord-broker --print-config-keys

        Starts a Fjord broker. Configuration sources, later wins: the properties file, environment variables
        (KAFKA_LOG_DIRS or FJORD_LOG_DIRS for log.dirs), --override flags. SIGTERM or SIGINT shuts the broker
        down after moving its partition leadership away (controlled shutdown).
        """
}
