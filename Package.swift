// swift-tools-version:6.1
//
// Fjord: a Kafka-compatible replicated commit log. Targets follow docs/ARCHITECTURE layering:
// a target only imports targets listed above it here.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Fjord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fjord-protocol-gen", targets: ["fjord-protocol-gen"]),
        .executable(name: "fjord-bench", targets: ["fjord-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // 1. Strong types shared by every layer.
        .target(name: "FjordModel", swiftSettings: swiftSettings),

        // 2. Wire primitives, record batch v2, CRC-32C, compression.
        .target(name: "CCRC32C"),
        .systemLibrary(
            name: "CCompression",
            providers: [.apt(["zlib1g-dev", "libsnappy-dev", "liblz4-dev", "libzstd-dev"])]
        ),
        .target(
            name: "KafkaWire",
            dependencies: [
                "FjordModel", "CCRC32C", "CCompression",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // 3. Generated Kafka messages, API keys, error codes, the advertised version table.
        .target(
            name: "KafkaProtocol",
            dependencies: ["FjordModel", "KafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),

        // 3b. Kafka framing over TCP: the request server (ordered, pipelined responses, sendfile) and a client
        //     connection for inter-process requests.
        .target(
            name: "FjordNetwork",
            dependencies: [
                "KafkaWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // 4. ZooKeeper: the C client and its async Swift wrapper.
        .systemLibrary(name: "CZooKeeper", providers: [.apt(["libzookeeper-mt-dev"])]),
        .target(
            name: "ZooKeeper",
            dependencies: ["CZooKeeper", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Test harness shared by integration tests: real ZooKeeper servers, child processes, a stallable proxy.
        .target(name: "FjordTestSupport", swiftSettings: swiftSettings),

        // 5. Partition logs on disk.
        .target(
            name: "FjordStorage",
            dependencies: [
                "FjordModel", "KafkaWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // 6. Cluster state in ZooKeeper: znode paths and JSON, replica assignment, configuration.
        .target(
            name: "FjordCluster",
            dependencies: ["FjordModel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // 6b. Observability: logfmt/JSON log handler, Prometheus metrics with typed helpers, /metrics and /health.
        .target(
            name: "FjordObservability",
            dependencies: [
                "FjordCluster", "KafkaProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FjordObservabilityTests",
            dependencies: [
                "FjordObservability", "FjordCluster", "KafkaProtocol", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // 7. Consumer-group coordinator: the pure group state machine, committed offsets, and their ZooKeeper form.
        .target(
            name: "FjordCoordinator",
            dependencies: [
                "FjordModel", "FjordCluster", "ZooKeeper", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // 7. Replication: partition leader/follower state, ISR, high watermark, replica fetch protocol, purgatory.
        .target(
            name: "FjordReplication",
            dependencies: [
                "FjordModel", "KafkaWire", "KafkaProtocol", "FjordNetwork", "FjordStorage", "FjordCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FjordReplicationTests",
            dependencies: [
                "FjordReplication", "FjordModel", "KafkaWire", "KafkaProtocol", "FjordNetwork", "FjordStorage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tools.
        .executableTarget(
            name: "fjord-protocol-gen",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fjord-bench",
            dependencies: [
                "FjordModel", "KafkaWire", "FjordStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Unit tests, one per target.
        .testTarget(name: "FjordModelTests", dependencies: ["FjordModel"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KafkaWireTests",
            dependencies: ["KafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", "KafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FjordNetworkTests",
            dependencies: [
                "FjordNetwork", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FjordClusterTests", dependencies: ["FjordCluster"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FjordCoordinatorTests",
            dependencies: [
                "FjordCoordinator", "FjordCluster", "ZooKeeper", "FjordTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZooKeeperTests", dependencies: ["ZooKeeper", "FjordTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FjordStorageTests",
            dependencies: [
                "FjordStorage", "KafkaWire", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // 8. The controller process: pure decision core (Core/) and its ZooKeeper/network shell (Shell/).
        .target(
            name: "FjordController",
            dependencies: [
                "FjordModel", "FjordCluster", "KafkaWire", "KafkaProtocol", "FjordNetwork", "ZooKeeper",
                "FjordObservability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fjord-controller",
            dependencies: [
                "FjordController", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FjordControllerTests",
            dependencies: [
                "FjordController", "fjord-controller", "FjordCluster", "FjordModel", "KafkaWire", "KafkaProtocol",
                "FjordNetwork", "ZooKeeper",
                "FjordTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // 8. The broker process: config, lifecycle, metadata cache, request processor, one handler per API.
        .target(
            name: "FjordBroker",
            dependencies: [
                "FjordModel", "KafkaWire", "KafkaProtocol", "FjordNetwork", "ZooKeeper", "FjordStorage", "FjordCluster",
                "FjordCoordinator", "FjordReplication", "FjordObservability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "fjord-broker", dependencies: ["FjordBroker"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FjordBrokerTests",
            dependencies: [
                "FjordBroker", "FjordCluster", "FjordModel", "KafkaProtocol", "KafkaWire", "FjordNetwork", "ZooKeeper",
                "FjordTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // 8. FjordClient: the Swift producer, consumer and admin client (imports only layers 1-3), and the `fjord` CLI.
        .target(
            name: "FjordClient",
            dependencies: [
                "FjordModel", "KafkaWire", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fjord",
            dependencies: [
                "FjordClient", "FjordModel", "KafkaWire", "KafkaProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FjordClientTests",
            dependencies: [
                "FjordClient", "fjord", "FjordModel", "KafkaWire", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
