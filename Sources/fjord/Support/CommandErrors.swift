import ArgumentParser
import FjordClient

/// Turns failures into one line on stderr (what went wrong, and what to try) and a non-zero exit.
enum CommandErrors {
    /// Runs `body`; a ``KafkaClientError`` (or any other error) is printed as one line and exits with status 1.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch {
            printError(oneLine(error))
            throw ExitCode.failure
        }
    }

    /// The message printed for `error`.
    static func oneLine(_ error: any Error) -> String {
        guard let error = error as? KafkaClientError else { return "Error: \(error)" }
        var line = "Error: \(error.description)"
        if let hint = hint(for: error) { line += (line.hasSuffix(".") ? " " : ". ") + hint }
        return line
    }

    static func hint(for error: KafkaClientError) -> String? {
        switch error.kind {
        case .noBrokersAvailable, .connectionFailed:
            return "Is the cluster running? Check --bootstrap-server (e.g. localhost:9092)"
        case .requestTimedOut:
            return "The broker did not answer in time; retry, or raise request.timeout.ms with -X"
        case .metadataUnavailable:
            return nil
        case .broker:
            switch error.errorCode {
            case .topicAlreadyExists?: return "See it with: fjord topics describe --topic <name>"
            case .unknownTopicOrPartition?: return "List topics with: fjord topics --list"
            case .invalidReplicationFactor?: return "Use a replication factor no larger than the number of brokers"
            case .groupIdNotFound?: return "List groups with: fjord groups --list"
            case .nonEmptyGroup?: return "Stop the group's consumers first"
            default: return nil
            }
        default:
            return nil
        }
    }
}

/// Writes a line to stderr.
func printError(_ line: String) {
    var stderr = StandardError()
    print(line, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileOutput.write(string, to: 2)
    }
}
