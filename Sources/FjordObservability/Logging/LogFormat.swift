/// The shape of a log line (`log.format`).
public enum LogFormat: String, CaseIterable, Hashable, Sendable {
    /// `ts=2026-11-22T01:02:03.456Z level=info logger=fjord.broker msg="…" key=value …`
    case logfmt
    /// `{"ts":"2026-11-22T01:02:03.456Z","level":"info","logger":"fjord.broker","msg":"…","key":"value"}`
    case json
}
