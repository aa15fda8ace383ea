import ArgumentParser

/// `fjord`: topics, produce, consume, groups, cluster status and perf tests against a Fjord (or any Kafka)
/// cluster, with the options and output Kafka's own tools use.
@main
struct Fjord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fjord",
        abstract: "Kafka-compatible command-line client for Fjord clusters.",
        discussion: """
            Output follows Kafka's tools (kafka-topics.sh, kafka-console-producer/consumer.sh, \
            kafka-consumer-groups.sh, kafka-producer-perf-test.sh) so scripts and habits carry over.
            """,
        subcommands: [
            TopicsCommand.self, ProduceCommand.self, ConsumeCommand.self, GroupsCommand.self, ClusterCommand.self,
            PerfCommand.self,
        ])
}
