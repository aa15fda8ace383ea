import FjordCluster
import FjordModel
import Logging
import ZooKeeper

/// The content of `/latest_producer_id_block`, exactly as Kafka's ZooKeeper mode writes it: the last block of
/// producer ids handed to a broker, bounds as decimal strings.
///
/// ```json
/// {"version":1,"broker":2,"block_start":"1000","block_end":"1999"}
/// ```
public struct ProducerIDBlockRecord: Codable, Hashable, Sendable {
    public var version: Int = 1
    public var broker: Int32
    public var blockStart: String
    public var blockEnd: String

    enum CodingKeys: String, CodingKey {
        case version, broker
        case blockStart = "block_start"
        case blockEnd = "block_end"
    }

    public init(broker: BrokerID, block: ClosedRange<Int64>) {
        self.broker = broker.rawValue
        self.blockStart = String(block.lowerBound)
        self.blockEnd = String(block.upperBound)
    }

    /// The block's ids; nil if the bounds are not numbers or are reversed.
    public var block: ClosedRange<Int64>? {
        guard let start = Int64(blockStart), let end = Int64(blockEnd), start <= end else { return nil }
        return start...end
    }
}

/// Hands out producer ids for InitProducerId, claiming them from ZooKeeper in blocks (Kafka's
/// `ZkProducerIdManager`): read `/latest_producer_id_block`, write the next block after it with compare-and-set on
/// the node's version, retry on a conflict with another broker. Ids are unique across the cluster and never reused;
/// ids of a block not used up before a restart are skipped.
///
/// An actor; concurrent callers share one claim when a block runs out.
public actor ProducerIdManager {
    public static let path = ZNodePaths.latestProducerIdBlock
    public let broker: BrokerID
    public let blockSize: Int64
    private let zooKeeper: any CoordinatorZooKeeper
    private let logger: Logger
    private var next: Int64 = 0
    private var end: Int64 = -1
    private var claiming: Task<ClosedRange<Int64>, any Error>?

    public init(broker: BrokerID, zooKeeper: any CoordinatorZooKeeper, blockSize: Int64 = 1_000, logger: Logger) {
        precondition(blockSize > 0, "producer id block size must be positive")
        self.broker = broker
        self.zooKeeper = zooKeeper
        self.blockSize = blockSize
        self.logger = logger
    }

    /// The next unused producer id. Throws ``ZooKeeperError`` (or ``ProducerIDsExhausted``) when a new block
    /// cannot be claimed; the caller answers COORDINATOR_NOT_AVAILABLE.
    public func nextProducerID() async throws -> ProducerID {
        while next > end {
            let task: Task<ClosedRange<Int64>, any Error>
            if let claiming {
                task = claiming
            } else {
                task = Task { try await self.claimBlock() }
                claiming = task
            }
            defer { if claiming == task { claiming = nil } }
            let block = try await task.value
            // Callers sharing a claim install its block once; a caller resuming after that block was used up
            // must not install it again (blocks only grow), and loops to claim the next one.
            if block.lowerBound > end {
                next = block.lowerBound
                end = block.upperBound
            }
        }
        defer { next += 1 }
        return ProducerID(next)
    }

    /// Claims the block after the latest one (the first block starts at 0).
    private func claimBlock() async throws -> ClosedRange<Int64> {
        for _ in 0..<100 {
            let current = await zooKeeper.getMany([Self.path])[0]
            let operation: ZooKeeperOperation
            let block: ClosedRange<Int64>
            switch current {
            case .success(let node):
                var start: Int64 = 0
                if !node.data.isEmpty {
                    let record = try ZNodeJSON.decode(ProducerIDBlockRecord.self, from: node.data, path: Self.path)
                    guard let last = record.block else {
                        throw ClusterStateError("\(Self.path) holds an invalid block \(record)")
                    }
                    guard last.upperBound <= Int64.max - blockSize else { throw ProducerIDsExhausted() }
                    start = last.upperBound + 1
                }
                block = start...(start + blockSize - 1)
                operation = .setData(
                    path: Self.path, data: ZNodeJSON.encode(ProducerIDBlockRecord(broker: broker, block: block)),
                    version: node.stat.version)
            case .failure(let error) where error.code == .noNode:
                block = 0...(blockSize - 1)
                operation = .create(
                    path: Self.path, data: ZNodeJSON.encode(ProducerIDBlockRecord(broker: broker, block: block)))
            case .failure(let error):
                throw error
            }
            do {
                _ = try await zooKeeper.multi([operation])
                logger.info("claimed producer id block", metadata: ["block": "\(block)"])
                return block
            } catch let error as ZooKeeperError where error.code == .badVersion || error.code == .nodeExists {
                continue  // another broker claimed a block meanwhile: read again
            }
        }
        throw ZooKeeperError(code: .operationTimeout, operation: .multi, path: Self.path)
    }
}

/// Every producer id up to `Int64.max` has been handed out.
public struct ProducerIDsExhausted: Error, CustomStringConvertible {
    public var description: String { "all producer ids have been handed out" }
}
