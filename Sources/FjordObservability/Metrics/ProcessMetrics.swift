import Prometheus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Process gauges refreshed at each scrape from `/proc/self` (Linux; elsewhere they stay 0):
/// `fjord_process_start_time_seconds` (Unix time), `fjord_process_resident_memory_bytes`, `fjord_process_open_fds`,
/// `fjord_process_cpu_seconds` (user + system CPU time used so far).
public enum ProcessMetrics {
    /// Creates the gauges and registers a scrape hook that refreshes them (a few small `/proc` reads per scrape).
    public static func install(on metrics: FjordMetrics) {
        let start = metrics.gauge(MetricName.processStartTime, "When this process started, in Unix seconds.")
        let resident = metrics.gauge(MetricName.processResidentMemory, "Resident memory of this process.")
        let fds = metrics.gauge(MetricName.processOpenFileDescriptors, "Open file descriptors of this process.")
        let cpu = metrics.gauge(MetricName.processCPUSeconds, "User and system CPU time this process has used.")
        #if os(Linux)
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            let pageBytes = Double(sysconf(Int32(_SC_PAGESIZE)))
            if let stat = readStat(), let boot = bootTimeSeconds(), ticks > 0 {
                start.set(boot + Double(stat.startTicks) / ticks)
            }
            metrics.onScrape {
                if let stat = readStat(), ticks > 0 {
                    cpu.set(Double(stat.userTicks + stat.systemTicks) / ticks)
                    resident.set(Double(stat.residentPages) * pageBytes)
                }
                fds.set(Int64(countOpenFileDescriptors()))
            }
        #else
            _ = (start, resident, fds, cpu)
        #endif
    }

    #if os(Linux)
        struct Stat {
            var userTicks: UInt64
            var systemTicks: UInt64
            var startTicks: UInt64
            var residentPages: UInt64
        }

        /// Fields 14, 15, 22 and 24 of `/proc/self/stat` (counted after the parenthesised command name, which may
        /// itself contain spaces and parentheses).
        static func readStat() -> Stat? {
            guard let text = readSmallFile("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            // fields[0] is field 3 (state).
            func field(_ number: Int) -> UInt64? {
                let index = number - 3
                return index < fields.count ? UInt64(fields[index]) : nil
            }
            guard let utime = field(14), let stime = field(15), let start = field(22), let rss = field(24) else {
                return nil
            }
            return Stat(userTicks: utime, systemTicks: stime, startTicks: start, residentPages: rss)
        }

        static func bootTimeSeconds() -> Double? {
            guard let text = readSmallFile("/proc/stat") else { return nil }
            for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
                return Double(line.dropFirst("btime ".count))
            }
            return nil
        }

        static func countOpenFileDescriptors() -> Int {
            guard let directory = opendir("/proc/self/fd") else { return 0 }
            defer { closedir(directory) }
            var count = 0
            while let entry = readdir(directory) {
                let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
                if !isDot { count += 1 }
            }
            return max(0, count - 1)  // the descriptor opendir itself holds
        }

        /// Reads a `/proc` file of at most 64 KiB.
        static func readSmallFile(_ path: String) -> String? {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes = [UInt8](repeating: 0, count: 65_536)
            var used = 0
            while used < bytes.count {
                let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + used, $0.count - used) }
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { break }
                used += got
            }
            return String(decoding: bytes[..<used], as: UTF8.self)
        }
    #endif
}
