import FjordTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The test harness itself (FjordTestSupport), which broker integration tests reuse.
@Suite("Test harness", .timeLimit(.minutes(1)))
struct HarnessTests {
    @Test func managedProcessReportsExitAndCapturesOutput() async throws {
        let directory = try makeTemporaryDirectory(prefix: "fjord-harness")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/out.log"
        let process = try ManagedProcess.spawn(
            ["/bin/sh", "-c", "echo hello from $GREETING; echo oops >&2; exit 3"], environment: ["GREETING": "fjord"],
            logPath: log)
        #expect(try await process.waitForExit(timeout: .seconds(10)) == .exited(code: 3))
        #expect(process.logTail().contains("hello from fjord"))
        #expect(process.logTail().contains("oops"))
        #expect(!process.isRunning)
        process.signal(SIGKILL)  // after exit: a no-op, never a stray signal to a reused pid
    }

    @Test func managedProcessTerminateEscalatesToKill() async throws {
        let polite = try ManagedProcess.spawn(["sleep", "30"])
        #expect(polite.isRunning)
        #expect(await polite.terminate(gracePeriod: .seconds(5)) == .signaled(signal: SIGTERM))

        // A process that ignores SIGTERM is killed after the grace period.
        let stubborn = try ManagedProcess.spawn(["/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.05; done"])
        try await waitUntil("the shell to ignore SIGTERM", timeout: .seconds(5)) {
            ignoresSIGTERM(pid: stubborn.pid)
        }
        let (status, elapsed) = await measure { await stubborn.terminate(gracePeriod: .milliseconds(300)) }
        #expect(status == .signaled(signal: SIGKILL))
        #expect(elapsed < .seconds(5))
    }

    @Test func waitUntilReportsWhatItWaitedFor() async throws {
        let started = ContinuousClock.now
        await #expect(throws: WaitTimeoutError.self) {
            try await waitUntil("the impossible", timeout: .milliseconds(100)) { false }
        }
        #expect(ContinuousClock.now - started < .seconds(10))  // gives up: bounded, not a speed check
        var calls = 0
        try await waitUntil(timeout: .seconds(1)) {
            calls += 1
            return calls == 3
        }
        #expect(calls == 3)
    }

    @Test func serverPausesAndResumes() async throws {
        try await ZooKeeperServer.withServer { server in
            #expect(server.isServing())
            #expect(server.fourLetterWord("srvr")?.contains("Mode: standalone") == true)
            try await server.pause()
            #expect(!server.isServing(timeout: .milliseconds(300)))
            try await server.resume()
            try await waitUntil("imok after SIGCONT", timeout: .seconds(5)) { server.isServing() }
            let pid = try #require(server.pid)
            await server.kill()
            #expect(server.pid == nil && kill(pid, 0) != 0)
            try await server.restart()
            #expect(server.isServing())
        }
    }

    @Test func proxyForwardsPausesAndDrops() async throws {
        let server = try await ZooKeeperServer.shared()
        let proxy = try TCPProxy(targetPort: server.port)
        defer { proxy.stop() }
        #expect(tcpRequest(port: proxy.port, "ruok") == "imok")
        proxy.pause()
        #expect(tcpRequest(port: proxy.port, "ruok", timeout: .milliseconds(300)) == nil)
        proxy.resume()
        #expect(tcpRequest(port: proxy.port, "ruok") == "imok")
        #expect(try freePort() != proxy.port)
    }
}

/// True if `/proc/<pid>/status` lists SIGTERM among the ignored signals.
private func ignoresSIGTERM(pid: pid_t) -> Bool {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigIgn:") }),
        let mask = UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16)
    else { return false }
    return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
}
