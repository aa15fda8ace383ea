import ArgumentParser
import FjordClient

/// `fjord cluster`: brokers, the active fjord-controller, the controller id Metadata reports, and partition health.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Show brokers, the active controller, and every partition's leader, replicas and ISR.",
        discussion: """
            The active controller is the fjord-controller process that holds ZooKeeper's /controller, as a broker \
            last read it. "Controller" is the broker Metadata names (Fjord brokers report a live broker there, which \
            takes admin requests, as Kafka clients expect). Partitions without a leader are flagged OFFLINE, with \
            ISR smaller than replicas UNDER-REPLICATED.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Flag(name: .customLong("problems"), help: "List only offline and under-replicated partitions.")
    var onlyProblems = false

    func run() async throws {
        try await CommandErrors.reporting {
            let admin = try TopicsCommand.admin(connection)
            defer { admin.close() }
            let description = try await admin.describeCluster()
            for line in ClusterFormatting.describe(description, onlyProblems: onlyProblems) { print(line) }
        }
    }
}
