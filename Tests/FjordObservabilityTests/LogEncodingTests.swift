import Testing

@testable import FjordObservability

@Suite struct LogEncodingTests {
    private func logfmtValue(_ value: String) -> String {
        var out: [UInt8] = []
        LogfmtEncoding.appendValue(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func logfmtKey(_ key: String) -> String {
        var out: [UInt8] = []
        LogfmtEncoding.appendKey(key, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func jsonString(_ value: String) -> String {
        var out: [UInt8] = []
        JSONLogEncoding.appendString(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func plainValuesStayBare() {
        #expect(logfmtValue("registered") == "registered")
        #expect(logfmtValue("orders-0") == "orders-0")
        #expect(logfmtValue("1.5") == "1.5")
        #expect(logfmtValue("kafka1:9092") == "kafka1:9092")
        #expect(logfmtValue("brœker") == "brœker")  // non-ASCII needs no quotes
    }

    @Test func valuesThatNeedQuotesAreQuotedAndEscaped() {
        #expect(logfmtValue("") == #""""#)
        #expect(logfmtValue("two words") == #""two words""#)
        #expect(logfmtValue("a=b") == #""a=b""#)
        #expect(logfmtValue(#"say "hi""#) == #""say \"hi\"""#)
        #expect(logfmtValue(#"C:\dir"#) == #""C:\\dir""#)
        #expect(logfmtValue("line1\nline2") == #""line1\nline2""#)
        #expect(logfmtValue("a\tb\rc") == #""a\tb\rc""#)
        #expect(logfmtValue("bell\u{07}del\u{7F}") == #""bell\u0007del\u007f""#)
    }

    @Test func quotedValuesNeverContainRawLineBreaks() {
        let nasty = "x\n\r\u{0B}\u{0C}\u{1B}[31m y=\"z\"\\"
        let encoded = logfmtValue(nasty)
        #expect(!encoded.utf8.contains { $0 < 0x20 })
        #expect(encoded.hasPrefix("\"") && encoded.hasSuffix("\""))
    }

    @Test func keysAreSanitised() {
        #expect(logfmtKey("broker.id") == "broker.id")
        #expect(logfmtKey("topic-partition") == "topic-partition")
        #expect(logfmtKey("two words") == "two_words")
        #expect(logfmtKey("a=b\"c") == "a_b_c")
        #expect(logfmtKey("") == "_")
    }

    @Test func jsonStringsEscapeEveryControlCharacter() {
        #expect(jsonString("plain") == #""plain""#)
        #expect(jsonString(#"q"b\"#) == #""q\"b\\""#)
        #expect(jsonString("a\nb\tc\rd") == #""a\nb\tc\rd""#)
        #expect(jsonString("\u{01}\u{1F}") == #""\u0001\u001f""#)
        #expect(jsonString("ünïcode") == "\"ünïcode\"")
    }

    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        #expect(LogTimestamp.string(epochMs: 0) == "1970-01-01T00:00:00.000Z")
        #expect(LogTimestamp.string(epochMs: 1_795_309_323_456) == "2026-11-22T01:02:03.456Z")
        #expect(LogTimestamp.string(epochMs: 951_782_400_007) == "2000-02-29T00:00:00.007Z")
        #expect(LogTimestamp.string(epochMs: -1) == "1969-12-31T23:59:59.999Z")
        let now = LogTimestamp.string(epochMs: LogTimestamp.nowMs())
        #expect(now.utf8.count == 24 && now.hasSuffix("Z"))
    }
}
