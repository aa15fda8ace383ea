import FjordCluster
import Testing

@Suite struct PropertiesTests {
    @Test func parsesJavaPropertiesSyntax() {
        let text = """
            # comment
            ! also a comment
            broker.id=1
            listeners = PLAINTEXT://:9092,INTERNAL://:19092
            log.dirs: /tmp/a
            zookeeper.connect localhost:2181/fjord
            long.value=first,\\
                second
            escaped\\=key=v\\tx
            empty=
            """
        let p = Properties.parse(text)
        #expect(p["broker.id"] == "1")
        #expect(p["listeners"] == "PLAINTEXT://:9092,INTERNAL://:19092")
        #expect(p["log.dirs"] == "/tmp/a")
        #expect(p["zookeeper.connect"] == "localhost:2181/fjord")
        #expect(p["long.value"] == "first,second")
        #expect(p["escaped=key"] == "v\tx")
        #expect(p["empty"] == "")
        #expect(p.values.count == 7)
    }

    @Test func environmentMapping() {
        #expect(Properties.propertyName(forEnvironmentVariable: "LOG_DIRS") == "log.dirs")
        #expect(Properties.propertyName(forEnvironmentVariable: "ADVERTISED_LISTENERS") == "advertised.listeners")
        #expect(Properties.environmentVariable(forProperty: "log.retention.ms") == "LOG_RETENTION_MS")
        let env = ["KAFKA_LOG_DIRS": "/data", "KAFKA_HOME": "/opt/kafka", "FJORD_BROKER_ID": "3", "PATH": "/bin"]
        let p = Properties.fromEnvironment(env, knownKeys: ["log.dirs", "broker.id"])
        #expect(p.values == ["log.dirs": "/data", "broker.id": "3"])
        #expect(p.sources["log.dirs"] == "env KAFKA_LOG_DIRS")
    }

    @Test func laterSourcesWinAndTypesAreChecked() throws {
        let defs = [
            ConfigDefinition("broker.id", .int, default: "-1", "id"),
            ConfigDefinition("log.dirs", .list, default: "/tmp/fjord-logs", "dirs"),
            ConfigDefinition("auto.create.topics.enable", .bool, default: "true", "auto"),
        ]
        let file = Properties.parse("broker.id=1\nlog.dirs=/file\nunknown.key=x")
        let config = try ResolvedConfig(
            definitions: defs, file: file, environment: ["KAFKA_LOG_DIRS": "/env"],
            flags: Properties(["broker.id": "7"], source: "flag"))
        #expect(config.int("broker.id") == 7)
        #expect(config.list("log.dirs") == ["/env"])
        #expect(config.bool("auto.create.topics.enable"))
        #expect(config.unknownKeys == ["unknown.key"])
        #expect(throws: ConfigError.self) {
            _ = try ResolvedConfig(
                definitions: defs, file: Properties.parse("broker.id=abc"), environment: [:], flags: Properties())
        }
    }

    @Test func endpoints() throws {
        let list = try Endpoint.parseList("PLAINTEXT://:9092, internal://kafka1:19092,EXTERNAL://[::1]:9094")
        #expect(list.count == 3)
        #expect(list[0] == Endpoint(listenerName: "PLAINTEXT", host: "", port: 9092))
        #expect(list[1].listenerName == "INTERNAL")
        #expect(list[2].host == "::1")
        #expect(list[2].description == "EXTERNAL://[::1]:9094")
        #expect(throws: ConfigError.self) { _ = try Endpoint.parseList("localhost:9092") }
    }
}
