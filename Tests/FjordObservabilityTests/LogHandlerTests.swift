import Foundation
import Logging
import Testing

@testable import FjordObservability

@Suite struct LogHandlerTests {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "disk full" }
    }

    private func logger(
        _ sink: LogSink, format: LogFormat = .logfmt, level: Logger.Level = .info,
        provider: Logger.MetadataProvider? = nil
    ) -> Logger {
        Logger(label: "fjord.broker") { label in
            FjordLogHandler(
                label: label, level: level, format: format, sink: sink, metadataProvider: provider,
                clockMs: { 1_795_309_323_456 })
        }
    }

    @Test func logfmtLineHasFixedKeysThenSortedMetadata() {
        let sink = LogSink.memory()
        var log = logger(sink)
        log[metadataKey: "broker"] = "1"
        log.info("registered in ZooKeeper", metadata: ["epoch": "4294", "address": "kafka1:9092"])
        #expect(
            sink.lines == [
                #"ts=2026-11-22T01:02:03.456Z level=info logger=fjord.broker msg="registered in ZooKeeper" "#
                    + "address=kafka1:9092 broker=1 epoch=4294"
            ])
    }

    @Test func levelFromConfigurationFiltersEvents() {
        let sink = LogSink.memory()
        let log = logger(sink, level: .warning)
        log.info("hidden")
        log.debug("hidden")
        log.warning("shown")
        log.error("shown too")
        #expect(sink.lines.count == 2)
        #expect(sink.lines[0].contains("level=warning"))
        #expect(sink.lines[1].contains("level=error"))
    }

    @Test func eventMetadataWinsAndNestedValuesAreFlattened() {
        let sink = LogSink.memory()
        var log = logger(sink, provider: Logger.MetadataProvider { ["request": "7", "broker": "provider"] })
        log[metadataKey: "broker"] = "handler"
        log.notice(
            "leaders moved",
            metadata: [
                "broker": "event", "partitions": .array(["orders-0", "orders 1"]),
                "isr": .dictionary(["orders-0": "1,2"]),
            ])
        let line = sink.lines[0]
        #expect(line.contains(" broker=event "))
        #expect(line.contains(#" partitions="[orders-0,orders 1]""#))
        #expect(line.contains(" isr={orders-0:1,2}"))
        #expect(line.contains(" request=7"))
    }

    @Test func reservedKeysAndErrorsDoNotCollide() {
        let sink = LogSink.memory()
        let log = logger(sink)
        log.error("append failed", error: Boom(), metadata: ["msg": "shadow", "level": "x"])
        let line = sink.lines[0]
        #expect(line.hasPrefix(#"ts=2026-11-22T01:02:03.456Z level=error logger=fjord.broker msg="append failed" "#))
        #expect(line.contains(" _level=x "))
        #expect(line.contains(" _msg=shadow"))
        #expect(line.contains(#" error="disk full""#))
    }

    @Test func multiLineMessagesStayOnOneLine() {
        let sink = LogSink.memory()
        logger(sink).warning("first\nsecond \"quoted\"")
        #expect(sink.lines.count == 1)
        #expect(sink.lines[0].hasSuffix(#"msg="first\nsecond \"quoted\"""#))
    }

    @Test func jsonLinesParseAndKeepTypes() throws {
        let sink = LogSink.memory()
        logger(sink, format: .json).info(
            "fetch\tdone\n",
            metadata: [
                "bytes": .stringConvertible(4096), "ok": .stringConvertible(true), "topic": "orders",
                "replicas": .array(["1", "2"]), "nested": .dictionary(["a": "b"]),
            ])
        let line = try #require(sink.lines.first)
        #expect(
            line.hasPrefix(
                #"{"ts":"2026-11-22T01:02:03.456Z","level":"info","logger":"fjord.broker","msg":"fetch\tdone\n","#))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "fetch\tdone\n")
        #expect(object["bytes"] as? Int == 4096)
        #expect(object["ok"] as? Bool == true)
        #expect(object["topic"] as? String == "orders")
        #expect(object["replicas"] as? [String] == ["1", "2"])
        #expect((object["nested"] as? [String: String]) == ["a": "b"])
    }

    @Test func fileSinkAppendsWholeLinesAndReopens() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fjord-log-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("broker.log").path
        let sink = try LogSink.file(path)
        let log = logger(sink)
        log.info("one")
        log.info("two", metadata: ["k": "v w"])
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try sink.reopen()
        log.info("three")
        let rotated = try String(contentsOfFile: path + ".1", encoding: .utf8)
        let current = try String(contentsOfFile: path, encoding: .utf8)
        #expect(rotated.split(separator: "\n").count == 2)
        #expect(rotated.hasSuffix(#"msg=two k="v w""# + "\n"))
        #expect(current.hasSuffix("msg=three\n"))
    }

    @Test func unopenableFileIsAnError() {
        #expect(throws: LogSinkError.self) { try LogSink.file("/nonexistent-dir-fjord/x.log") }
    }

    @Test func concurrentWritersNeverInterleave() async {
        let sink = LogSink.memory()
        let log = logger(sink)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 { log.info("event", metadata: ["task": "\(task)", "i": "\(index)"]) }
                }
            }
        }
        let lines = sink.lines
        #expect(lines.count == 1600)
        #expect(lines.allSatisfy { $0.hasPrefix("ts=") && $0.split(separator: " ").count == 6 })
    }
}
