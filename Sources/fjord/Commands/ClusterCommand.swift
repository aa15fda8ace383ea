import ArgumentParser
import FjordClient

/// `fjord cluster`: brokers, the controller id Metadata reports, and partition health.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Show brokers, the controller Metadata reports, and every partition's leader, replicas and ISR.",
        discussion: """
            The controller shown is the broker Metadata names (Fjord brokers report a live broker there, which \
            takes admin requests); the active fjord-controller process is recorded in ZooKeeper's /controller. \
            Partitions without a leader are flagged OFFLINE, with ISR smaller than replicas UNDER-REPLICATED.
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
