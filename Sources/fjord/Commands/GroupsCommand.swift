import ArgumentParser
import FjordClient
import FjordModel

/// `fjord groups`: kafka-consumer-groups.sh.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "List, describe, reset and delete consumer groups (kafka-consumer-groups.sh).",
        subcommands: [List.self, Describe.self, ResetOffsets.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List group ids, one per line.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                for group in try await admin.listGroups() { print(group.groupId) }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Offsets and lag per partition (default), members (--members) or state (--state).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("g")], help: "The group.") var group: String
        @Flag(help: "Show members instead of offsets.") var members = false
        @Flag(help: "Show the group's state.") var state = false
        @Flag(name: .customLong("assignments"), help: "With --members: show each member's partitions.")
        var showAssignments = false

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                if state {
                    for line in GroupFormatting.state(try await admin.describeGroup(group)) { print(line) }
                    return
                }
                if members {
                    let d = try await admin.describeGroup(group)
                    if d.members.isEmpty {
                        print("\nConsumer group '\(group)' has no active members.")
                        return
                    }
                    for line in GroupFormatting.members(d, verbose: showAssignments) { print(line) }
                    return
                }
                let (d, rows) = try await admin.groupLag(group)
                if d.state == "Dead" {
                    throw KafkaClientError.broker(.groupIdNotFound, "Consumer group '\(group)' does not exist")
                }
                if d.members.isEmpty { print("\nConsumer group '\(group)' has no active members.") }
                for line in GroupFormatting.offsets(group: group, rows: rows) { print(line) }
            }
        }
    }

    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move a group's committed offsets (the group must have no active members).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("g")], help: "The group.") var group: String
        @Option(
            name: [.long, .customShort("t")], help: "Topic, optionally with partitions: T or T:0,1 (repeatable).")
        var topic: [String] = []
        @Flag(name: .customLong("all-topics"), help: "Every topic the group has committed offsets for.")
        var allTopics = false
        @Flag(name: .customLong("to-earliest")) var toEarliest = false
        @Flag(name: .customLong("to-latest")) var toLatest = false
        @Option(name: .customLong("to-offset")) var toOffset: Int64?
        @Option(name: .customLong("shift-by"), parsing: .unconditional) var shiftBy: Int64?
        @Option(name: .customLong("to-timestamp"), help: "ms since the epoch.") var toTimestamp: Int64?
        @Flag(help: "Commit the new offsets (without it, only show them).") var execute = false
        @Flag(name: .customLong("dry-run"), help: "Only show the new offsets (the default).") var dryRun = false

        func validate() throws {
            let targets = [toEarliest, toLatest, toOffset != nil, shiftBy != nil, toTimestamp != nil].filter { $0 }
            guard targets.count == 1 else {
                throw ValidationError(
                    "Give exactly one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-timestamp.")
            }
            guard allTopics != !topic.isEmpty else { throw ValidationError("Give --topic or --all-topics.") }
            if execute && dryRun { throw ValidationError("--execute and --dry-run exclude each other.") }
        }

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                let target: OffsetResetTarget =
                    if toEarliest { .earliest } else if toLatest { .latest } else if let toOffset {
                        .offset(Offset(toOffset))
                    } else if let shiftBy { .shiftBy(shiftBy) } else { .timestamp(TimestampMs(toTimestamp ?? 0)) }
                var partitions: [TopicPartition]?
                if !allTopics {
                    var list: [TopicPartition] = []
                    for spec in topic {
                        let parts = spec.split(separator: ":", maxSplits: 1)
                        let name = String(parts[0])
                        if parts.count == 2 {
                            for p in parts[1].split(separator: ",") {
                                guard let id = Int32(p) else { throw ValidationError("bad partition in \(spec)") }
                                list.append(TopicPartition(topic: name, partition: id))
                            }
                        } else {
                            for p in try await admin.describeTopics([name]).first?.partitions ?? [] {
                                list.append(TopicPartition(TopicName(name), p.partition))
                            }
                        }
                    }
                    partitions = list
                }
                let offsets = try await admin.resetGroupOffsets(
                    group: group, partitions: partitions, to: target, execute: execute)
                if !execute {
                    printError(
                        "WARN: No action will be performed as the --execute option is missing. "
                            + "In a future major release, the default behavior of this command will be to prompt "
                            + "the user before executing the reset rather than doing a dry run. You should add the "
                            + "--dry-run option explicitly if you are scripting this command and want to keep the "
                            + "current default behavior without prompting.")
                }
                for line in GroupFormatting.resetOffsets(group: group, offsets: offsets) { print(line) }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete groups (they must have no members).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: [.long, .customShort("g")], help: "The group; repeatable.") var group: [String]

        func run() async throws {
            try await CommandErrors.reporting {
                let admin = try TopicsCommand.admin(connection)
                defer { admin.close() }
                let results = try await admin.deleteGroups(group)
                let failed = results.filter { if case .failure = $0.value { true } else { false } }
                if failed.isEmpty {
                    let names = group.map { "'\($0)'" }.joined(separator: ", ")
                    print("Deletion of requested consumer groups (\(names)) was successful.")
                    return
                }
                for (name, result) in failed.sorted(by: { $0.key < $1.key }) {
                    if case .failure(let error) = result {
                        printError("Error: Deletion of group '\(name)' failed: \(error)")
                    }
                }
                throw ExitCode.failure
            }
        }
    }
}
