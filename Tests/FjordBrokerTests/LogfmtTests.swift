import FjordBroker
import Logging
import Testing

@Suite struct LogfmtTests {
    @Test func writesOneQuotedLinePerEvent() throws {
        let output = LogfmtOutput.memory()
        var logger = Logger(label: "fjord.test") { LogfmtLogHandler(label: $0, level: .info, output: output) }
        logger[metadataKey: "broker"] = "1"
        logger.debug("hidden")
        logger.info("registered in ZooKeeper", metadata: ["epoch": "42", "path": "a \"b\"=c\nd"])
        let lines = output.lines
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasPrefix("time="))
        #expect(line.contains(" level=info logger=fjord.test msg=\"registered in ZooKeeper\" broker=1 epoch=42 "))
        #expect(line.hasSuffix(" path=\"a \\\"b\\\"=c\\nd\"\n"))
    }
}
