import Foundation

/// Encoding and decoding of znode contents. Kafka stores JSON with snake_case keys; so does Fjord.
public enum ZNodeJSON {
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding these plain structs cannot fail; a failure is a programming error.
        return Array(try! encoder.encode(value))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws(ClusterStateError)
        -> T
    {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            throw ClusterStateError("znode \(path) holds unreadable JSON (\(error)): \(text)")
        }
    }
}

/// A znode's content is not what Fjord (or Kafka) writes there.
public struct ClusterStateError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A configuration value is missing or malformed.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
