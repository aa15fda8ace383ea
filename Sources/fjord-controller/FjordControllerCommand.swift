import ArgumentParser
import Dispatch
import FjordCluster
import FjordController
import Foundation
import Logging

/// `fjord-controller`: parse the configuration, build the controller, run it until SIGTERM/SIGINT.
@main
struct FjordControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fjord-controller",
        abstract: "The Fjord controller: elected through ZooKeeper, owns partition leadership and ISRs.")

    @Option(name: .long, help: "A server.properties-style configuration file.")
    var config: String?

    @Option(
        name: .long, help: "Override a property: --override key=value (repeatable; wins over file and environment).")
    var override: [String] = []

    @Flag(name: .long, help: "List the configuration keys with their defaults and exit.")
    var helpConfig = false

    func run() async throws {
        if helpConfig {
            for d in ControllerSettings.definitions {
                print("\(d.name) (\(d.kind.rawValue), default \(d.defaultValue ?? "none")): \(d.documentation)")
            }
            return
        }
        let settings: ControllerSettings
        do {
            settings = try loadSettings()
        } catch {
            FileHandle.standardError.write(Data("fjord-controller: \(error)\n".utf8))
            throw ExitCode(2)
        }
        do {
            try ControllerService.bootstrapLogging(settings)
        } catch {
            FileHandle.standardError.write(Data("fjord-controller: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let logger = Logger(label: "fjord.controller")
        let service = ControllerService(settings: settings, logger: logger)
        let signals = installSignalHandlers { service.shutdown() }
        defer { for source in signals { source.cancel() } }
        try await service.run()
    }

    private func loadSettings() throws -> ControllerSettings {
        var file: Properties?
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                throw ConfigError("cannot read configuration file \(config)")
            }
            file = Properties.parse(text)
        }
        var flags: [String: String] = [:]
        for item in override {
            guard let eq = item.firstIndex(of: "=") else {
                throw ConfigError("--override expects key=value, got \(item)")
            }
            flags[String(item[..<eq]).trimmingWhitespace()] = String(item[item.index(after: eq)...])
                .trimmingWhitespace()
        }
        let resolved = try ResolvedConfig(
            definitions: ControllerSettings.definitions, file: file, environment: ProcessInfo.processInfo.environment,
            flags: Properties(flags, source: "flag"))
        for key in resolved.unknownKeys {
            FileHandle.standardError.write(Data("fjord-controller: ignoring unknown configuration \(key)\n".utf8))
        }
        return try ControllerSettings(resolved)
    }

    private func installSignalHandlers(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
