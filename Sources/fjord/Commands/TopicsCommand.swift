import ArgumentParser
import FjordClient
import FjordModel

/// `fjord topics`: kafka-topics.sh.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Create, list, describe, alter and delete topics (kafka-topics.sh).",
        subcommands: [Create.self, List.self, Describe.self, Delete.self, Alter.self])

    static func admin(_ connection: ConnectionOptions) throws -> Admin {
        var configuration = AdminConfiguration(bootstrapServers: try connection.bootstrapServers())
        for (key, value) in try connection.propertyMap() { try configuration.apply(key, value) }
        return Admin(configuration: configuration, logger: connection.logger("fjord.admin"))
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic; prints \"Created topic T.\"")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("t")], help: "The topic to create.") var topic: String
        @Option(help: "Partition count (default: the broker's num.partitions).") var partitions: Int32?
        @Option(name: .customLong("replication-factor"), help: "Replicas per partition (default: the broker's).")
        var replicationFactor: Int16?
        @Option(help: "A topic config override key=value; repeatable.") var config: [String] = []
        @Flag(name: .customLong("if-not-exists"), help: "Succeed when the topic exists already.") var ifNotExists =
            false

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                do {
                    try await admin.createTopic(
                        topic, partitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1,
                        configs: try PropertyParsing.parse(config))
                } catch let error as KafkaClientError where ifNotExists && error.errorCode == .topicAlreadyExists {
                    return
                }
                print("Created topic \(topic).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topic names, one per line.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(name: .customLong("exclude-internal"), help: "Leave out internal topics.") var excludeInternal = false

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                for name in try await admin.listTopics(includeInternal: !excludeInternal) { print(name) }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe topics: a topic line, then Partition/Leader/Replicas/Isr per partition.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("t")], help: "The topic (default: all).") var topic: String?
        @Flag(name: .customLong("under-replicated-partitions"), help: "Only partitions with ISR smaller than replicas.")
        var underReplicated = false
        @Flag(name: .customLong("unavailable-partitions"), help: "Only partitions without a leader.")
        var unavailable = false

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                let topics = try await admin.describeTopics(topic.map { [$0] })
                for t in topics where topic != nil || !t.isInternal {
                    let filter: ((PartitionMetadata) -> Bool)? =
                        underReplicated || unavailable
                        ? { (underReplicated && $0.isUnderReplicated) || (unavailable && $0.isOffline) } : nil
                    let configs = filter == nil ? (try? await admin.describeConfigs(topic: t.name.rawValue)) ?? [] : []
                    for line in TopicFormatting.describe(t, overrides: configs, partitions: filter) { print(line) }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("t")], help: "The topic to delete.") var topic: String
        @Flag(name: .customLong("if-exists"), help: "Succeed when the topic does not exist.") var ifExists = false

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                do {
                    try await admin.deleteTopics([topic])
                } catch let error as KafkaClientError where ifExists && error.errorCode == .unknownTopicOrPartition {
                    return
                }
            }
        }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add partitions (--partitions) or change config overrides (--config, --delete-config).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("t")], help: "The topic to alter.") var topic: String
        @Option(help: "The new, larger partition count.") var partitions: Int32?
        @Option(help: "Set a config override key=value; repeatable.") var config: [String] = []
        @Option(name: .customLong("delete-config"), help: "Remove a config override; repeatable.")
        var deleteConfig: [String] = []

        func validate() throws {
            if partitions == nil && config.isEmpty && deleteConfig.isEmpty {
                throw ValidationError("Give --partitions, --config or --delete-config.")
            }
        }

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                if let partitions {
                    try await admin.createPartitions(topic: topic, totalCount: partitions)
                }
                if !config.isEmpty || !deleteConfig.isEmpty {
                    try await admin.alterTopicConfigs(
                        topic: topic, set: try PropertyParsing.parse(config), delete: deleteConfig)
                    print("Completed updating config for topic \(topic).")
                }
            }
        }
    }
}
