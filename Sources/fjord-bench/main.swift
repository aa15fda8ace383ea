import ArgumentParser

/// `fjord-bench`: micro-benchmarks of Fjord's hot paths. Build in release:
///
///     swift build -c release --product fjord-bench
///     .build/release/fjord-bench all
///
/// Subcommands:
/// - `crc`: CRC-32C throughput (hardware and software paths) and record batch build/decode rates (CRCBench.swift).
/// - `log-append`: the storage append path. Hook: its body is the storage benchmark's
///   `func runLogAppendBenchmark(quick: Bool) async throws` in LogAppendBench.swift, which prints its own table.
/// - `group-commit`: durable appends (`flush.messages=1`) with group commit vs one fdatasync per append
///   (GroupCommitBench.swift).
/// - `all`: every benchmark above, one after the other.
struct FjordBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fjord-bench",
        abstract: "Micro-benchmarks of Fjord's hot paths (build with -c release).",
        subcommands: [
            CRCBenchCommand.self, LogAppendBenchCommand.self, GroupCommitBenchCommand.self, AllBenchCommand.self,
        ]
    )
}

/// A subcommand that runs a benchmark. (Its own entry point rather than `AsyncParsableCommand.run()`: from a
/// main.swift, ArgumentParser's dispatch resolves to the synchronous `run()`, which would only print help.)
protocol BenchmarkCommand: ParsableCommand {
    func runBenchmark() async throws
}

/// Options every benchmark understands.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Fewer and shorter runs, for a smoke test.")
    var quick = false
}

struct LogAppendBenchCommand: BenchmarkCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-append", abstract: "Log append throughput (FjordStorage).")

    @OptionGroup var options: BenchOptions

    func runBenchmark() async throws {
        try await runLogAppendBenchmark(quick: options.quick)
    }
}

struct AllBenchCommand: BenchmarkCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Run every benchmark.")

    @OptionGroup var options: BenchOptions

    func runBenchmark() async throws {
        runCRCBenchmark(quick: options.quick)
        print()
        try await runLogAppendBenchmark(quick: options.quick)
        print()
        try await runGroupCommitBenchmark(quick: options.quick)
    }
}

do {
    var command = try FjordBench.parseAsRoot()
    if let benchmark = command as? any BenchmarkCommand {
        try await benchmark.runBenchmark()
    } else {
        try command.run()  // help, version and parse errors
    }
} catch {
    FjordBench.exit(withError: error)
}
