import Dispatch
import FjordCluster
import FjordObservability
import Foundation
import Logging

/// What `fjord-broker` does: parse the command line and configuration, set up logging, run the broker until
/// SIGTERM or SIGINT (controlled shutdown; a second signal exits at once), and return the exit status.
public enum BrokerMain {
    public static func run(arguments: [String], environment: [String: String]) async -> Int32 {
        let commandLine: BrokerCommandLine
        do {
            commandLine = try BrokerCommandLine(arguments: arguments)
        } catch {
            printError("fjord-broker: \(error)")
            return 2
        }
        switch commandLine.action {
        case .help:
            print(BrokerCommandLine.usage)
            return 0
        case .printConfigKeys:
            for definition in BrokerConfig.definitions { print(definition.name) }
            return 0
        case .run:
            break
        }
        let config: BrokerConfig
        do {
            let text = try commandLine.configFile.map { path -> String in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw ConfigError("cannot read configuration file \(path)")
                }
                return text
            }
            config = try BrokerConfig.load(
                fileText: text, environment: environment, overrides: commandLine.overrides)
        } catch {
            printError("fjord-broker: configuration error: \(error)")
            return 2
        }
        do {
            try Observability.bootstrapLogging(config.observability)
        } catch {
            printError("fjord-broker: \(error)")
            return 2
        }
        let logger = Logger(label: "fjord.broker")
        for key in config.resolved.unknownKeys {
            logger.warning("ignoring unknown configuration key", metadata: ["key": "\(key)"])
        }
        // The endpoint comes up first so that /health answers "starting" (503) while the broker recovers its logs
        // and registers, and /metrics can be scraped during start-up.
        let metrics = BrokerMetrics()
        let health = HealthProbe()
        let metricsServer: MetricsServer?
        do {
            metricsServer = try await Observability.startMetrics(
                config.observability, metrics: metrics.registry, health: { health.evaluate() }, logger: logger)
        } catch {
            logger.critical(
                "metrics endpoint failed to start",
                metadata: ["port": "\(config.observability.metricsPort)", "error": "\(error)"])
            return 1
        }
        let server: BrokerServer
        do {
            server = try await BrokerServer.start(config: config, logger: logger, metrics: metrics)
        } catch {
            logger.critical("broker failed to start", metadata: ["error": "\(error)"])
            await metricsServer?.shutdown()
            return 1
        }
        health.set { server.health }
        let signals = SignalHandlers { signal, count in
            if count > 1 {
                logger.warning(
                    "second signal; exiting without finishing the shutdown", metadata: ["signal": "\(signal)"])
                exit(1)
            }
            logger.info("signal received; starting controlled shutdown", metadata: ["signal": "\(signal)"])
            Task { await server.shutdown() }
        }
        await server.run()
        signals.cancel()
        await metricsServer?.shutdown()
        return 0
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// SIGTERM and SIGINT delivered to a handler on a dispatch queue (with their default actions disabled), counting
/// how many arrived.
///
/// `@unchecked Sendable`: `sources` is written once in `init` and only read by `cancel()`; dispatch sources are
/// thread-safe.
final class SignalHandlers: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(handler: @escaping @Sendable (Int32, Int) -> Void) {
        let queue = DispatchQueue(label: "fjord.signals")
        let count = Counter()
        sources = [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { handler(signalNumber, count.increment()) }
            source.resume()
            return source
        }
    }

    func cancel() { for source in sources { source.cancel() } }

    /// Only touched on the signal queue.
    private final class Counter: @unchecked Sendable {
        private var value = 0
        func increment() -> Int {
            value += 1
            return value
        }
    }
}
