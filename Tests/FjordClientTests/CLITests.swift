import ArgumentParser
import FjordClient
import FjordModel
import KafkaWire
import NIOCore
import Testing

@testable import fjord

/// The `fjord` command line: argument parsing and output formatting (pure functions, no cluster).
@Suite("fjord CLI")
struct CLITests {
    let record = ConsumerRecord(
        topic: "orders", partition: PartitionID(2), offset: Offset(17), key: ByteBuffer(string: "k1"),
        value: ByteBuffer(string: "hello \"world\""), headers: [RecordHeader(key: "h", value: ByteBuffer(string: "v"))],
        timestamp: TimestampMs(1_700_000_000_000))

    @Test func consoleProducerLinesWithKeysAndHeaders() throws {
        let plain = ConsoleLineParser(properties: [:])
        #expect(try plain.parse("a:b", lineNumber: 1) == .init(key: nil, value: "a:b", headers: []))
        let keyed = ConsoleLineParser(properties: ["parse.key": "true", "key.separator": ":"])
        #expect(try keyed.parse("k:v:w", lineNumber: 1) == .init(key: "k", value: "v:w", headers: []))
        #expect(throws: (any Error).self) { try keyed.parse("novalue", lineNumber: 3) }
        let headers = ConsoleLineParser(properties: [
            "parse.headers": "true", "parse.key": "true", "key.separator": "=", "null.marker": "NULL",
        ])
        let parsed = try headers.parse("a:1,b\tk=NULL", lineNumber: 1)
        #expect(parsed.key == "k" && parsed.value == nil)
        #expect(parsed.headers.map(\.0) == ["a", "b"] && parsed.headers.map(\.1) == ["1", nil])
    }

    @Test func consoleConsumerFormat() {
        var options = RecordFormatter.ConsoleOptions()
        #expect(RecordFormatter.format(record, style: .console(options)) == "hello \"world\"\n")
        options = RecordFormatter.ConsoleOptions(properties: [
            "print.key": "true", "print.partition": "true", "print.offset": "true", "print.timestamp": "true",
            "print.headers": "true",
        ])
        #expect(
            RecordFormatter.format(record, style: .console(options))
                == "CreateTime:1700000000000\tPartition:2\tOffset:17\th:v\tk1\thello \"world\"\n")
        var nullKey = record
        nullKey.key = nil
        nullKey.headers = []
        let keyed = RecordFormatter.ConsoleOptions(properties: [
            "print.key": "true", "key.separator": " => ", "print.headers": "true",
        ])
        #expect(RecordFormatter.format(nullKey, style: .console(keyed)) == "NO_HEADERS => null => hello \"world\"\n")
    }

    @Test func kcatFormatStrings() {
        #expect(
            RecordFormatter.format(record, style: .format("%t %p %o %k %s\\n")) == "orders 2 17 k1 hello \"world\"\n")
        #expect(RecordFormatter.format(record, style: .format("%K/%S %T %h 100%%")) == "2/13 1700000000000 h=v 100%")
    }

    @Test func jsonOutputEscapes() {
        #expect(
            RecordFormatter.format(record, style: .json)
                == "{\"topic\":\"orders\",\"partition\":2,\"offset\":17,\"tstype\":\"create\",\"ts\":1700000000000,"
                + "\"headers\":[\"h\",\"v\"],\"key\":\"k1\",\"payload\":\"hello \\\"world\\\"\"}\n")
        #expect(RecordFormatter.quote("a\u{01}\n") == "\"a\\u0001\\n\"")
    }

    @Test func topicDescribeLooksLikeKafkaTopics() {
        let topic = TopicMetadata(
            name: "t",
            partitions: [
                PartitionMetadata(
                    partition: PartitionID(0), leader: BrokerID(1), replicas: [1, 2, 3].map { BrokerID($0) },
                    isr: [1, 2, 3].map { BrokerID($0) }),
                PartitionMetadata(
                    partition: PartitionID(1), leader: nil, replicas: [2, 3, 1].map { BrokerID($0) },
                    isr: [2].map { BrokerID($0) }),
            ])
        let lines = TopicFormatting.describe(
            topic,
            overrides: [
                ConfigEntry(name: "retention.ms", value: "1000", source: .dynamicTopicConfig),
                ConfigEntry(name: "segment.bytes", value: "1", source: .defaultConfig),
            ])
        #expect(
            lines == [
                "Topic: t\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: retention.ms=1000",
                "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3",
                "\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2,3,1\tIsr: 2",
            ])
        let cluster = ClusterFormatting.describe(
            ClusterDescription(
                clusterId: "c", controllerId: BrokerID(1),
                brokers: [BrokerInfo(id: BrokerID(1), address: BrokerAddress(host: "h", port: 1))], topics: [topic]),
            onlyProblems: true)
        #expect(cluster.contains("Partitions: 2\tUnder-replicated: 1\tOffline: 1"))
        #expect(
            cluster.last == "\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2,3,1\tIsr: 2\tOFFLINE,UNDER-REPLICATED")
    }

    @Test func groupDescribeTableHasKafkasColumns() {
        let member = GroupMemberDescription(
            memberId: "consumer-1-abc", groupInstanceId: nil, clientId: "consumer-1", clientHost: "/127.0.0.1",
            assignment: [TopicPartition(topic: "t", partition: 0)])
        let rows = [
            GroupPartitionLag(
                topicPartition: TopicPartition(topic: "t", partition: 0), currentOffset: Offset(5),
                logEndOffset: Offset(9), member: member),
            GroupPartitionLag(
                topicPartition: TopicPartition(topic: "t", partition: 1), currentOffset: nil, logEndOffset: Offset(3),
                member: nil),
        ]
        let lines = GroupFormatting.offsets(group: "g", rows: rows)
        #expect(lines[0] == "")
        #expect(
            lines[1]
                == "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             "
                + "CONSUMER-ID     HOST            CLIENT-ID")
        #expect(
            lines[2]
                == "g               t               0          5               9               4               "
                + "consumer-1-abc  /127.0.0.1      consumer-1")
        #expect(lines[3].hasPrefix("g               t               1          -               3               -"))
        #expect(
            GroupFormatting.assignment([
                TopicPartition(topic: "a", partition: 1), TopicPartition(topic: "a", partition: 0),
            ]) == "a(0,1)")
        let reset = GroupFormatting.resetOffsets(
            group: "g", offsets: [TopicPartition(topic: "t", partition: 0): Offset(0)])
        #expect(reset[1].hasPrefix("GROUP") && reset[1].contains("NEW-OFFSET"))
    }

    @Test func perfFinalLineMatchesProducerPerfTest() {
        var stats = PerfStats()
        for i in 1...1000 { stats.record(latencyMs: Double(i) / 10, bytes: 100) }
        let line = stats.finalLine(elapsedSeconds: 2)
        #expect(
            line
                == "1000 records sent, 500.000000 records/sec (0.05 MB/sec), 50.05 ms avg latency, 100.00 ms max "
                + "latency, 50 ms 50th, 95 ms 95th, 99 ms 99th, 100 ms 99.9th.")
        #expect(Fixed.format(3.14159, 2) == "3.14")
        #expect(Fixed.format(0.005, 2) == "0.01")
        #expect(Fixed.format(-2.5, 1) == "-2.5")
        #expect(Fixed.format(7, 0) == "7")
        let throttle = Throttle(recordsPerSecond: 1000, startNs: 0)
        #expect(throttle.delayNs(sent: 100, nowNs: 10_000_000) == 90_000_000)
        #expect(throttle.delayNs(sent: 100, nowNs: 100_000_000) == nil)
        #expect(Throttle(recordsPerSecond: -1, startNs: 0).delayNs(sent: 1, nowNs: 0) == nil)
    }

    @Test func argumentsParseLikeKafkasTools() throws {
        let create = try Fjord.parseAsRoot([
            "topics", "create", "--bootstrap-server", "b:1", "--topic", "t", "--partitions", "6",
            "--replication-factor", "3", "--config", "retention.ms=1",
        ])
        let c = try #require(create as? TopicsCommand.Create)
        #expect(c.topic == "t" && c.partitions == 6 && c.replicationFactor == 3 && c.config == ["retention.ms=1"])
        #expect(try c.connection.bootstrapServers() == [BrokerAddress(host: "b", port: 1)])

        let consume = try Fjord.parseAsRoot([
            "consume", "-t", "t", "--from-beginning", "--max-messages", "5", "--property", "print.key=true", "-f",
            "%k %s\\n",
        ])
        let k = try #require(consume as? ConsumeCommand)
        #expect(k.fromBeginning && k.maxMessages == 5 && k.format == "%k %s\\n")
        #expect(throws: (any Error).self) { try Fjord.parseAsRoot(["consume", "-t", "t", "--offset", "5"]) }
        #expect(throws: (any Error).self) {
            try Fjord.parseAsRoot(["consume", "-t", "t", "--group", "g", "--partition", "1"])
        }

        let reset = try Fjord.parseAsRoot([
            "groups", "reset-offsets", "--group", "g", "--topic", "t:0,1", "--to-offset", "3", "--execute",
        ])
        #expect((reset as? GroupsCommand.ResetOffsets)?.toOffset == 3)
        #expect(throws: (any Error).self) {
            try Fjord.parseAsRoot([
                "groups", "reset-offsets", "--group", "g", "--all-topics", "--to-earliest", "--to-latest",
            ])
        }

        let perf = try Fjord.parseAsRoot([
            "perf", "produce", "--topic", "t", "--num-records", "10", "--record-size", "100", "--throughput", "-1",
            "--producer-props", "acks=1", "linger.ms=10",
        ])
        let p = try #require(perf as? PerfCommand.Produce)
        #expect(p.throughput == -1 && p.producerProps == ["acks=1", "linger.ms=10"])
    }

    @Test func errorsAreOneLineWithAHint() {
        let line = CommandErrors.oneLine(
            KafkaClientError(.noBrokersAvailable, "no broker reachable (bootstrap servers: localhost:1)"))
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("Error: no broker reachable") && line.contains("--bootstrap-server"))
    }
}
