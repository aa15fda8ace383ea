import FjordBroker
import Foundation

// The Fjord broker: see `fjord-broker --help` and docs/configuration.md.
let status = await BrokerMain.run(
    arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)
