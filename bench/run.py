#!/usr/bin/env python3
"""`make bench`: Fjord beside its peers and the machine's limits, measured in one run on this machine.

Systems (all on 127.0.0.1, each started here and stopped by pid):
  fjord-1   one broker, one controller, ZooKeeper (scripts/cluster.py, brokers=1)
  fjord-3   the `make cluster` topology: three brokers, two controllers, ZooKeeper
  redis-es  Redis 7 streams, appendonly yes, appendfsync everysec     (redis-benchmark, pipelined XADD / XRANGE)
  redis-al  the same with appendfsync always
  nats      NATS JetStream, file storage                               (bench/drivers/nats_bench.c)
Drivers: bench/drivers/rdkafka_bench.c (librdkafka producer / consumer / end-to-end), fetch_raw.c (plain Fetch
requests, no record decoding), `fjord perf produce` when the CLI is built. Limits: iperf3 over loopback, fio
sequential writes with and without an fdatasync per MiB, fio page-cache reads, on the disk holding the brokers' data.

Method: a warm-up round, then RUNS measured rounds; inside each round the systems alternate (A B A B ...), so slow
drift of the machine's load hits all of them alike. Reported: the median, min-max, and the load average before and
after each phase. Every run is bounded (driver time limits, subprocess timeouts, an overall budget).

Environment: BENCH_QUICK=1 (small counts, a few minutes), FJORD_BENCH_BIN (release binaries, default
.build-bench/release), FJORD_BENCH_WORK (scratch directory, default bench/tmp), FJORD_BENCH_BUDGET_S.
Writes bench/results/<date>[-quick].md and .json and prints the tables.
"""
from __future__ import annotations

import atexit
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "Tests" / "Faults"))
from cluster import Cluster, pid_alive, terminate_pid, wait_for  # noqa: E402
import kafka_wire  # noqa: E402
import zkread  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
BIN = Path(os.environ.get("FJORD_BENCH_BIN", ROOT / ".build-bench" / "release"))
WORK = Path(os.environ.get("FJORD_BENCH_WORK", ROOT / "bench" / "tmp"))
DRIVERS = ROOT / "bench" / "drivers"
RESULTS = ROOT / "bench" / "results"
RUNS = 3 if QUICK else 5
BUDGET_S = float(os.environ.get("FJORD_BENCH_BUDGET_S", "420" if QUICK else "1200"))
STARTED = time.monotonic()
SCALE = 0.2 if QUICK else 1.0
SIZES = [100, 1024]

PORT_FJORD1 = 11000  # cluster.py offsets: ZooKeeper 13181, broker 20092 (inter-broker 30092)
PORT_FJORD3 = 12000  # ZooKeeper 14181, brokers 21092-21094
PORT_REDIS_ES, PORT_REDIS_AL, PORT_NATS, PORT_IPERF = 23379, 23380, 24222, 25201

SINGLE_BROKER_ENV = {
    "KAFKA_DEFAULT_REPLICATION_FACTOR": "1",
    "KAFKA_MIN_INSYNC_REPLICAS": "1",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
    "KAFKA_LOG_LEVEL": "warning",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(text: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:6.0f}s] {text}", flush=True)


def time_left() -> float:
    return BUDGET_S - (time.monotonic() - STARTED)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# Processes -------------------------------------------------------------------------------------------------------
STARTED_PIDS: list[int] = []  # servers started here (not the clusters', which cluster.py tracks by pid file)
CLUSTERS: list[Cluster] = []


def cleanup() -> None:
    for pid in reversed(STARTED_PIDS):
        stop_pid(pid)
    STARTED_PIDS.clear()
    for c in reversed(CLUSTERS):
        try:
            c.stop()
        except Exception as e:  # keep stopping the others
            print(f"bench: stopping {c.dir}: {e}", file=sys.stderr)
    CLUSTERS.clear()


def stop_pid(pid: int, timeout: float = 15.0) -> None:
    terminate_pid(pid, timeout)
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


def spawn(argv: list[str], log_path: Path) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True, cwd=str(WORK))
    STARTED_PIDS.append(child.pid)
    return child.pid


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def run(argv: list[str], timeout: float, env: dict | None = None, check: bool = True) -> str:
    merged = dict(os.environ)
    merged.update(env or {})
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=merged, cwd=str(ROOT))
    if check and p.returncode not in (0, 1):
        raise RuntimeError(f"{argv[0]} exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return p.stdout


def run_json(argv: list[str], timeout: float) -> dict:
    out = run(argv, timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{Path(argv[0]).name}: no result ({out.strip()[-300:]})")
    return json.loads(lines[-1])


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measured(pids: list[int], body) -> dict:
    """Runs `body` and adds the servers' CPU seconds and RSS to its result."""
    before = sum(cpu_seconds(p) for p in pids)
    result = body()
    result["server_cpu_s"] = sum(cpu_seconds(p) for p in pids) - before
    result["server_rss_mb"] = sum(rss_mb(p) for p in pids)
    payload = result.get("payload_bytes")
    if payload:
        result["cpu_s_per_gb"] = result["server_cpu_s"] / (payload / 1e9)
    return result


# Systems ---------------------------------------------------------------------------------------------------------
class Fjord:
    def __init__(self, name: str, brokers: int, controllers: int, offset: int, env: dict[str, str]):
        self.name = name
        self.cluster = Cluster(WORK / name, offset, BIN, brokers=brokers, controllers=controllers,
                               extra_broker_env=env, extra_controller_env={"KAFKA_LOG_LEVEL": "warning"})
        self.brokers = brokers

    def start(self) -> None:
        shutil.rmtree(self.cluster.dir, ignore_errors=True)
        CLUSTERS.append(self.cluster)
        self.cluster.start(timeout=120)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.cluster.broker_port(b)}" for b in self.cluster.broker_ids)

    def broker_pids(self) -> list[int]:
        return [p for p in (self.cluster.pid(f"broker-{b}") for b in self.cluster.broker_ids) if p]

    def admin(self):
        # One client for the cluster's life: futures of a destroyed client fail with _DESTROY.
        if getattr(self, "_admin", None) is None:
            from confluent_kafka.admin import AdminClient
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        return self._admin

    def stop(self) -> None:
        self._admin = None  # before the brokers go, or librdkafka logs reconnect attempts
        self.cluster.stop()

    def create_topic(self, topic: str, partitions: int, rf: int, config: dict[str, str] | None = None) -> None:
        from confluent_kafka.admin import NewTopic
        admin = self.admin()
        futures = admin.create_topics([NewTopic(topic, partitions, rf, config=config or {})], operation_timeout=20)
        futures[topic].result(timeout=30)

        def ready() -> bool:
            md = admin.list_topics(topic, timeout=5).topics.get(topic)
            if md is None or md.error is not None or len(md.partitions) != partitions:
                return False
            return all(p.leader >= 0 and len(p.isrs) == rf for p in md.partitions.values())

        if not wait_for(ready, 60, 0.1):
            raise RuntimeError(f"{self.name}: topic {topic} not ready")

    def delete_topic(self, topic: str) -> None:
        try:
            self.admin().delete_topics([topic], operation_timeout=20)[topic].result(timeout=30)
        except Exception as e:  # a failed delete only costs disk space
            log(f"{self.name}: deleting {topic}: {e}")


class Redis:
    def __init__(self, name: str, port: int, fsync: str):
        self.name, self.port, self.fsync = name, port, fsync
        self.dir = WORK / name
        self.pid = 0

    def start(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.pid = spawn(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                          "--appendonly", "yes", "--appendfsync", self.fsync, "--save", "", "--protected-mode", "no",
                          "--daemonize", "no", "--logfile", str(self.dir / "redis.log")], self.dir / "stdout.log")
        if not wait_for(lambda: self.cli("PING").strip() == "PONG", 20):
            raise RuntimeError(f"{self.name} did not start")

    def cli(self, *args: str) -> str:
        try:
            return run(["redis-cli", "-p", str(self.port), *args], 60, check=False)
        except subprocess.TimeoutExpired:
            return ""


class Nats:
    def __init__(self, port: int):
        self.port = port
        self.dir = WORK / "nats"
        self.pid = 0

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.pid = spawn(["nats-server", "-js", "-sd", str(self.dir / "js"), "-a", "127.0.0.1", "-p", str(self.port),
                          "-l", str(self.dir / "nats.log")], self.dir / "stdout.log")
        if not wait_for(lambda: port_open(self.port), 20):
            raise RuntimeError("nats-server did not start")


# Workloads -------------------------------------------------------------------------------------------------------
TOPIC_SEQ = [0]


def topic_name(prefix: str) -> str:
    TOPIC_SEQ[0] += 1
    return f"{prefix}-{TOPIC_SEQ[0]}"


def records_for(size: int, per_100b: int, per_1k: int, warmup: bool) -> int:
    n = per_100b if size == 100 else per_1k
    return max(1000, int(n * SCALE * (0.3 if warmup else 1.0)))


def rdkafka_produce(f: Fjord, topic: str, size: int, n: int, acks: int, linger: int) -> dict:
    def body():
        r = run_json([str(BIN_DRIVERS["rdkafka"]), "produce", "-b", f.bootstrap, "-t", topic, "-n", str(n),
                      "-s", str(size), "-a", str(acks), "-l", str(linger), "-B", str(1 << 20), "-T", "25"], 90)
        r["payload_bytes"] = r["acked"] * size
        return r
    return measured(f.broker_pids(), body)


def fjord_perf_produce(f: Fjord, topic: str, size: int, n: int) -> dict:
    def body():
        out = run([str(BIN / "fjord"), "perf", "produce", "-b", f.bootstrap, "-t", topic, "--num-records", str(n),
                   "--record-size", str(size), "--producer-props", "acks=1", "linger.ms=5", "batch.size=1048576",
                   "enable.idempotence=false", "--reporting-interval", "60"], 120)
        m = re.search(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\).*?([\d.]+) ms 50th, "
                      r"([\d.]+) ms 95th, ([\d.]+) ms 99th, ([\d.]+) ms 99.9th", out)
        if not m:
            raise RuntimeError(f"fjord perf produce: unexpected output {out.strip()[-300:]}")
        count, rps = int(m.group(1)), float(m.group(2))
        return {"records": count, "records_per_s": rps, "mb_per_s": rps * size / 1e6, "p50_ms": float(m.group(4)),
                "p99_ms": float(m.group(6)), "p999_ms": float(m.group(7)), "payload_bytes": count * size}
    return measured(f.broker_pids(), body)


def fjord_perf_consume(f: Fjord, topic: str, size: int, n: int) -> dict:
    """`fjord perf consume` (FjordClient's consumer: every record decoded and handed to the loop) from offset 0."""
    def body():
        out = run([str(BIN / "fjord"), "perf", "consume", "-b", f.bootstrap, "-t", topic, "--messages", str(n),
                   "--timeout-ms", "30000"], 120)
        m = re.search(r"(\d+) records consumed, ([\d.]+) records/sec", out)
        if not m:
            raise RuntimeError(f"fjord perf consume: unexpected output {out.strip()[-300:]}")
        count, rps = int(m.group(1)), float(m.group(2))
        return {"records": count, "records_per_s": rps, "mb_per_s": rps * size / 1e6, "p50_ms": None,
                "p99_ms": None, "p999_ms": None, "payload_bytes": count * size}
    return measured(f.broker_pids(), body)


def redis_xadd(r: Redis, key: str, size: int, n: int) -> dict:
    value = "x" * size

    def body():
        out = run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(r.port), "-c", "1", "-P", "1000", "-n", str(n),
                   "--csv", "XADD", key, "*", "f", value], 120)
        row = [c.strip('"') for c in out.strip().splitlines()[-1].split('","')]
        rps = float(row[1])
        return {"records": n, "records_per_s": rps, "mb_per_s": rps * size / 1e6, "p50_ms": float(row[4]),
                "p99_ms": float(row[6]), "p999_ms": None, "payload_bytes": n * size}
    return measured([r.pid], body)


def redis_xrange(r: Redis, key: str, size: int, requests: int) -> dict:
    def body():
        out = run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(r.port), "-c", "1", "-P", "4", "-n",
                   str(requests), "--csv", "XRANGE", key, "-", "+", "COUNT", "1000"], 120)
        row = [c.strip('"') for c in out.strip().splitlines()[-1].split('","')]
        rps = float(row[1]) * 1000
        return {"records": requests * 1000, "records_per_s": rps, "mb_per_s": rps * size / 1e6,
                "payload_bytes": requests * 1000 * size}
    return measured([r.pid], body)


def nats_produce(nats: Nats, size: int, n: int) -> dict:
    def body():
        res = run_json([str(BIN_DRIVERS["nats"]), "produce", "-u", nats.url, "-n", str(n), "-s", str(size),
                        "-T", "25"], 90)
        res["payload_bytes"] = res["acked"] * size
        return res
    return measured([nats.pid], body)


# Phases ----------------------------------------------------------------------------------------------------------
MEASUREMENTS: list[dict] = []
NOTES: list[str] = []
PHASE_LOAD: dict[str, str] = {}


def record(workload: str, size: int | None, system: str, rnd: int, result: dict) -> None:
    result.update({"workload": workload, "size": size, "system": system, "round": rnd})
    if rnd > 0:
        MEASUREMENTS.append(result)
    rps = result.get("records_per_s")
    log(f"  {workload:<4} {size or '':>5} {system:<22} round {rnd}: "
        + (f"{rps:,.0f} rec/s {result.get('mb_per_s', 0):.1f} MB/s" if rps else json.dumps(result)[:160]))


def attempt(workload: str, size: int | None, system: str, rnd: int, body) -> None:
    try:
        record(workload, size, system, rnd, body())
    except Exception as e:  # one failed run is reported, not fatal
        log(f"  {workload} {size} {system} round {rnd} FAILED: {e}")
        if rnd > 0:
            NOTES.append(f"{workload} {size} B {system} round {rnd} failed: {str(e)[:200]}")


def settle() -> None:
    """Untimed, between runs: write back dirty pages so one run's writeback does not land in the next one."""
    os.sync()


def phase_produce(f1: Fjord, f3: Fjord, res: Redis, ral: Redis, nats: Nats, keep: dict) -> None:
    has_cli = (BIN / "fjord").exists()
    if not has_cli:
        NOTES.append("`fjord perf produce`: pending (the `fjord` CLI was not built).")
    for rnd in range(RUNS + 1):
        if time_left() < 200:
            NOTES.append(f"produce phase stopped before round {rnd}: time budget")
            break
        warm = rnd == 0
        for size in SIZES:
            settle()
            n1 = records_for(size, 3_000_000, 1_200_000, warm)
            # P1: RF=1 acks=1 linger 5 ms, 1 MiB batches, on the single broker.
            t = topic_name(f"p1-{size}")
            f1.create_topic(t, 3, 1)
            attempt("P1", size, "fjord-1 librdkafka", rnd, lambda: rdkafka_produce(f1, t, size, n1, 1, 5))
            if rnd == RUNS:
                keep[size] = (t, n1)  # read back by C1
            else:
                f1.delete_topic(t)
            nr = records_for(size, 1_000_000, 400_000, warm)
            attempt("P1", size, "redis everysec", rnd, lambda: redis_xadd(res, f"s{rnd}-{size}", size, nr))
            nr = records_for(size, 400_000, 100_000, warm)  # appendfsync always is 3-5 times slower
            if rnd == RUNS:
                keep[("redis", size)] = f"s{rnd}-{size}"
            else:
                res.cli("DEL", f"s{rnd}-{size}")
            attempt("P1", size, "redis always", rnd, lambda: redis_xadd(ral, f"s{rnd}-{size}", size, nr))
            ral.cli("DEL", f"s{rnd}-{size}")
            nn = records_for(size, 250_000, 150_000, warm)
            attempt("P1", size, "nats jetstream", rnd, lambda: nats_produce(nats, size, nn))
            if has_cli:
                t = topic_name(f"perf-{size}")
                f1.create_topic(t, 3, 1)
                attempt("P1", size, "fjord-1 fjord perf", rnd, lambda: fjord_perf_produce(f1, t, size, n1))
                f1.delete_topic(t)
            # P2: the same with linger 0.
            t = topic_name(f"p2-{size}")
            f1.create_topic(t, 3, 1)
            attempt("P2", size, "fjord-1 librdkafka", rnd, lambda: rdkafka_produce(f1, t, size, n1, 1, 0))
            f1.delete_topic(t)
            # P3: RF=3 acks=all on three brokers (min.insync.replicas=2).
            n3 = records_for(size, 1_500_000, 400_000, warm)
            t = topic_name(f"p3-{size}")
            f3.create_topic(t, 3, 3)
            attempt("P3", size, "fjord-3 librdkafka", rnd, lambda: rdkafka_produce(f3, t, size, n3, -1, 5))
            f3.delete_topic(t)
            # P4: P3 with every acknowledged record on disk first (flush.messages=1: group commit).
            n4 = records_for(size, 600_000, 200_000, warm)
            t = topic_name(f"p4-{size}")
            f3.create_topic(t, 3, 3, {"flush.messages": "1"})
            attempt("P4", size, "fjord-3 librdkafka", rnd, lambda: rdkafka_produce(f3, t, size, n4, -1, 5))
            f3.delete_topic(t)


def phase_consume(f1: Fjord, res: Redis, keep: dict) -> None:
    for rnd in range(RUNS + 1):
        if time_left() < 120:
            NOTES.append(f"consume phase stopped before round {rnd}: time budget")
            break
        settle()
        for size in SIZES:
            if size not in keep:
                continue
            topic, n = keep[size]

            def rdkafka_consume():
                def body():
                    r = run_json([str(BIN_DRIVERS["rdkafka"]), "consume", "-b", f1.bootstrap, "-t", topic, "-n",
                                  str(n), "-T", "60"], 90)
                    r["payload_bytes"] = r["bytes"]
                    return r
                return measured(f1.broker_pids(), body)

            def raw_fetch():
                def body():
                    r = run_json([str(BIN_DRIVERS["fetch_raw"]), "-h", "127.0.0.1", "-p",
                                  str(f1.cluster.broker_port(1)), "-t", topic, "-P", "3", "-n", str(n), "-T", "60"],
                                 90)
                    r["payload_bytes"] = r["bytes"]
                    return r
                return measured(f1.broker_pids(), body)

            attempt("C1", size, "fjord-1 librdkafka", rnd, rdkafka_consume)
            key = keep.get(("redis", size))
            if key:
                requests = max(50, int((2000 if size == 100 else 800) * SCALE))
                attempt("C1", size, "redis everysec XRANGE", rnd, lambda: redis_xrange(res, key, size, requests))
            attempt("C1", size, "fjord-1 raw fetch", rnd, raw_fetch)
            attempt("C1", size, "fjord-1 fjord perf", rnd, lambda: fjord_perf_consume(f1, topic, size, n))


def phase_latency(f1: Fjord, nats: Nats) -> None:
    p1 = medians("P1", 100, "fjord-1 librdkafka", "records_per_s")
    pn = medians("P1", 100, "nats jetstream", "records_per_s")
    rates = [1000]
    if p1:
        rates.append(int(p1 / 2))
    if pn:
        rates.append(int(pn / 2))
    seconds = 2 if QUICK else 4
    for rnd in range(RUNS + 1):
        if time_left() < 90:
            NOTES.append(f"latency phase stopped before round {rnd}: time budget")
            break
        for rate in rates:
            settle()
            dur = 1 if rnd == 0 else seconds
            t = topic_name("l1")
            f1.create_topic(t, 1, 1)

            def fjord_e2e(t=t, rate=rate, dur=dur):
                return measured(f1.broker_pids(), lambda: run_json(
                    [str(BIN_DRIVERS["rdkafka"]), "e2e", "-b", f1.bootstrap, "-t", t, "-s", "100", "-r", str(rate),
                     "-d", str(dur), "-l", "0", "-T", "40"], 90))

            attempt("L1", rate, "fjord-1 librdkafka", rnd, fjord_e2e)
            f1.delete_topic(t)
            attempt("L1", rate, "nats jetstream", rnd, lambda rate=rate, dur=dur: measured([nats.pid], lambda: run_json(
                [str(BIN_DRIVERS["nats"]), "e2e", "-u", nats.url, "-s", "100", "-r", str(rate), "-d", str(dur),
                 "-T", "40"], 90)))


def phase_limits() -> None:
    fio_file = WORK / "fio" / "seq.dat"
    fio_file.parent.mkdir(parents=True, exist_ok=True)
    runtime = "2" if QUICK else "3"

    def fio(name: str, rw: str, extra: list[str]) -> dict:
        out = run(["fio", "--name", name, "--filename", str(fio_file), "--rw", rw, "--bs", "1M", "--size", "1G",
                   "--ioengine", "psync", "--time_based", "--runtime", runtime, "--output-format", "json", *extra],
                  60)
        job = json.loads(out[out.index("{"):])["jobs"][0]
        bw = job["read" if rw == "read" else "write"]["bw_bytes"]
        return {"mb_per_s": bw / 1e6}

    def iperf() -> dict:
        pid = spawn(["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(PORT_IPERF)], WORK / "iperf" / "server.log")
        try:
            time.sleep(0.5)  # no probe connection: with -1 the server would take it for its one test
            out = run(["iperf3", "-c", "127.0.0.1", "-p", str(PORT_IPERF), "-t", runtime, "-J"], 60)
            return {"mb_per_s": json.loads(out)["end"]["sum_received"]["bits_per_second"] / 8e6}
        finally:
            stop_pid(pid, 5)
            STARTED_PIDS.remove(pid)

    for rnd in range(RUNS + 1):
        attempt("LIM", None, "iperf3 loopback TCP", rnd, iperf)
        attempt("LIM", None, "fio seq write, no sync", rnd, lambda: fio("write", "write", ["--end_fsync", "0"]))
        attempt("LIM", None, "fio seq write, fdatasync/MiB", rnd, lambda: fio("sync", "write", ["--fdatasync", "1"]))
        # Read once unmeasured first: the sync job's writes may have left the file partly uncached.
        fio("warm", "read", ["--invalidate", "0", "--runtime", "1"])
        attempt("LIM", None, "fio page-cache read", rnd, lambda: fio("read", "read", ["--invalidate", "0"]))
    fio_file.unlink(missing_ok=True)


def phase_micro() -> str:
    """The existing micro-benchmarks (fjord-bench all): CRC-32C GB/s, log append vs plain write."""
    env = {"FJORD_BENCH_DIR": str(WORK / "fjord-bench")}
    try:
        out = run([str(BIN / "fjord-bench"), "all"] + (["--quick"] if QUICK else []), 400, env=env)
    except Exception as e:
        NOTES.append(f"fjord-bench all failed: {e}")
        return ""
    m = re.search(r"median paired ratio (\d+)%", out)
    if m:
        MEASUREMENTS.append({"workload": "MICRO", "system": "log append / plain write", "size": None, "round": 1,
                             "ratio": int(m.group(1)) / 100})
    for line in out.splitlines():
        m = re.match(r"(\d+ [KM]iB)\s+hardware\s+([\d.]+)", line)
        if m:
            MEASUREMENTS.append({"workload": "MICRO", "system": f"CRC-32C {m.group(1)} GB/s", "size": None,
                                 "round": 1, "value": float(m.group(2))})
    return out


def phase_failover(f3: Fjord) -> list[dict]:
    """kill -9 / SIGTERM of a partition leader -> first acks=all produce acknowledged by the new leader."""
    figures: list[dict] = []
    zk = f3.cluster.zk_port
    topic = topic_name("failover")
    f3.create_topic(topic, 3, 3)
    rounds = 1 if QUICK else 3
    batch = kafka_wire.record_batch([b"failover-probe"])
    for sig_name, sig in (("kill -9", signal.SIGKILL), ("SIGTERM", signal.SIGTERM)):
        for rnd in range(rounds):
            if time_left() < 60:
                NOTES.append("failover rounds cut short: time budget")
                return figures
            try:
                figures.append(failover_round(f3, zk, topic, batch, sig_name, sig))
                log(f"  failover {sig_name} round {rnd + 1}: {figures[-1]}")
            except Exception as e:
                NOTES.append(f"failover {sig_name} round {rnd + 1} failed: {e}")
                log(f"  failover {sig_name} FAILED: {e}")
    return figures


def failover_round(f3: Fjord, zk: int, topic: str, batch: bytes, sig_name: str, sig: int) -> dict:
    states = zkread.partition_states(zk, topic)
    old = states[0]["leader"]
    name = f"broker-{old}"
    pid = f3.cluster.pid(name)
    t0 = time.monotonic()
    os.kill(pid, sig)
    new = None
    elected = None
    deadline = t0 + 60
    while time.monotonic() < deadline:
        try:
            leader = zkread.partition_states(zk, topic)[0]["leader"]
        except Exception:
            leader = None
        if leader is not None and leader not in (old, -1):
            new, elected = leader, time.monotonic() - t0
            break
        time.sleep(0.01)
    if new is None:
        raise RuntimeError("no new leader within 60 s")
    acked = None
    while time.monotonic() < deadline:
        try:
            err, _ = kafka_wire.produce("127.0.0.1", f3.cluster.broker_port(new), topic, 0, batch, acks=-1,
                                        timeout_ms=2000)
            if err == 0:
                acked = time.monotonic() - t0
                break
        except Exception:
            pass
        time.sleep(0.01)
    # Restart the old leader and wait for a full ISR everywhere before the next round.
    wait_for(lambda: not pid_alive(pid), 30)
    f3.cluster.pid_file(name).unlink(missing_ok=True)
    f3.cluster.start_one(name)
    wait_for(lambda: all(len(s["isr"]) == 3 for s in zkread.partition_states(zk, topic).values()), 60, 0.2)
    return {"signal": sig_name, "leader_elected_s": elected, "first_ack_s": acked}


def phase_groups(f3: Fjord) -> str:
    script = ROOT / "bench" / "groups_bench.py"
    if not script.exists():
        NOTES.append("consumer-group figures: bench/groups_bench.py is not there yet (skipped).")
        return ""
    env = {"FJORD_BENCH_BOOTSTRAP": f3.bootstrap, "BENCH_QUICK": "1" if QUICK else "0"}
    try:
        help_text = run([sys.executable, str(script), "--help"], 30, env=env, check=False)
        args = ["--bootstrap", f3.bootstrap] if "--bootstrap" in help_text else []
        return run([sys.executable, str(script), *args], max(60, min(300, time_left() - 30)), env=env, check=False)
    except Exception as e:
        NOTES.append(f"groups_bench.py failed: {e}")
        return ""


# Summaries -------------------------------------------------------------------------------------------------------
def rows(workload: str, size, system: str) -> list[dict]:
    return [m for m in MEASUREMENTS if m["workload"] == workload and m["size"] == size and m["system"] == system]


def medians(workload: str, size, system: str, key: str) -> float | None:
    values = [m[key] for m in rows(workload, size, system) if m.get(key) is not None]
    return statistics.median(values) if values else None


def spread(workload: str, size, system: str, key: str) -> tuple[float, float, float] | None:
    values = [m[key] for m in rows(workload, size, system) if m.get(key) is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def fmt_spread(s, digits: int = 0) -> str:
    if s is None:
        return "–"
    return f"{fmt(s[0], digits)} ({fmt(s[1], digits)}–{fmt(s[2], digits)})"


def tables() -> str:
    systems: list[tuple[str, object, str]] = []
    for m in MEASUREMENTS:
        key = (m["workload"], m["size"], m["system"])
        if m["workload"] not in ("MICRO",) and key not in systems:
            systems.append(key)
    out = ["| workload | size / rate | system | records/s median (min–max) | MB/s median (min–max) | "
           "p50 / p99 / p99.9 ms | server CPU s/GB | server RSS MB | runs |",
           "|---|---|---|---|---|---|---|---|---|"]
    for workload, size, system in systems:
        if workload == "LIM":
            s = spread(workload, size, system, "mb_per_s")
            out.append(f"| limit | | {system} | | {fmt_spread(s)} | | | | {len(rows(workload, size, system))} |")
            continue
        lat = " / ".join(fmt(medians(workload, size, system, k), 2) for k in ("p50_ms", "p99_ms", "p999_ms"))
        label = f"{size} B" if workload != "L1" else f"{size:,} rec/s"
        rate_key = "records_per_s" if workload != "L1" else "achieved_rate"
        out.append(
            f"| {workload} | {label} | {system} | {fmt_spread(spread(workload, size, system, rate_key))} | "
            f"{fmt_spread(spread(workload, size, system, 'mb_per_s'), 1)} | {lat} | "
            f"{fmt(medians(workload, size, system, 'cpu_s_per_gb'), 1)} | "
            f"{fmt(medians(workload, size, system, 'server_rss_mb'))} | {len(rows(workload, size, system))} |")
    return "\n".join(out)


def ratio_rows() -> list[tuple[str, float | None, str, bool | None]]:
    """(what, measured ratio or value, target, met)."""
    def ratio(a, b):
        return a / b if a is not None and b else None

    def check(value, target, at_least=True):
        if value is None:
            return None
        return value >= target if at_least else value <= target

    result = []
    r = ratio(medians("P1", 100, "fjord-1 librdkafka", "records_per_s"),
              medians("P1", 100, "redis everysec", "records_per_s"))
    result.append(("P1 100 B records/s: Fjord / Redis streams (everysec)", r, "≥ 2", check(r, 2)))
    r = ratio(medians("P1", 1024, "fjord-1 librdkafka", "mb_per_s"), medians("P1", 1024, "redis everysec", "mb_per_s"))
    result.append(("P1 1 KiB MB/s: Fjord / Redis streams (everysec)", r, "≥ 3", check(r, 3)))
    r = ratio(medians("P1", 1024, "fjord-1 librdkafka", "mb_per_s"), medians("P1", 1024, "nats jetstream", "mb_per_s"))
    result.append(("P1 1 KiB MB/s: Fjord / NATS JetStream", r, "≥ 3", check(r, 3)))
    for size in SIZES:
        v = medians("C1", size, "fjord-1 raw fetch", "mb_per_s")
        result.append((f"C1 {size} B broker serve rate, GB/s (raw Fetch client)", v / 1000 if v else None, "≥ 1",
                       check(v / 1000 if v else None, 1)))
        v = medians("C1", size, "fjord-1 librdkafka", "mb_per_s")
        result.append((f"C1 {size} B librdkafka consumer GB/s (client-bound)", v / 1000 if v else None, "(info)", None))
        r = ratio(medians("C1", size, "fjord-1 librdkafka", "records_per_s"),
                  medians("C1", size, "redis everysec XRANGE", "records_per_s"))
        result.append((f"C1 {size} B records/s: Fjord (librdkafka) / Redis XRANGE", r, "≥ 3", check(r, 3)))
        r = ratio(medians("C1", size, "fjord-1 fjord perf", "records_per_s"),
                  medians("C1", size, "redis everysec XRANGE", "records_per_s"))
        result.append((f"C1 {size} B records/s: Fjord (fjord perf consume) / Redis XRANGE", r, "≥ 3", check(r, 3)))
        r = ratio(medians("C1", size, "fjord-1 raw fetch", "records_per_s"),
                  medians("C1", size, "redis everysec XRANGE", "records_per_s"))
        result.append((f"C1 {size} B records/s: Fjord (raw Fetch client) / Redis XRANGE", r, "(info)", None))
    for size in SIZES:
        r = ratio(medians("P3", size, "fjord-3 librdkafka", "records_per_s"),
                  medians("P1", size, "fjord-1 librdkafka", "records_per_s"))
        result.append((f"P3 / P1 {size} B (RF=3 acks=all vs RF=1 acks=1)", r, "≥ 0.5", check(r, 0.5)))
    sync_limit = medians("LIM", None, "fio seq write, fdatasync/MiB", "mb_per_s")
    for size in SIZES:
        r = ratio(medians("P4", size, "fjord-3 librdkafka", "mb_per_s"), sync_limit)
        result.append((f"P4 {size} B MB/s / fio fdatasync-per-MiB MB/s", r, "≥ 0.6", check(r, 0.6)))
        r = ratio(medians("P4", size, "fjord-3 librdkafka", "mb_per_s"), medians("P1", size, "redis always", "mb_per_s"))
        result.append((f"P4 {size} B MB/s / Redis appendfsync always MB/s", r, "(info)", None))
    for rate in sorted({m["size"] for m in MEASUREMENTS if m["workload"] == "L1"}):
        f = medians("L1", rate, "fjord-1 librdkafka", "p99_ms")
        n = medians("L1", rate, "nats jetstream", "p99_ms")
        r = ratio(f, n)
        result.append((f"L1 p99 at {rate:,} rec/s: Fjord / NATS JetStream", r, "≤ 1", check(r, 1, at_least=False)))
    r = ratio(medians("P1", 100, "fjord-1 librdkafka", "cpu_s_per_gb"),
              medians("P1", 100, "redis everysec", "cpu_s_per_gb"))
    result.append(("P1 100 B broker CPU-s/GB: Fjord / Redis (everysec)", r, "≤ 0.5", check(r, 0.5, at_least=False)))
    for size in SIZES:
        r = ratio(medians("P1", size, "fjord-1 fjord perf", "records_per_s"),
                  medians("P1", size, "fjord-1 librdkafka", "records_per_s"))
        result.append((f"`fjord perf produce` / librdkafka producer, {size} B", r, "≥ 0.8",
                       check(r, 0.8) if r is not None else None))
    v = next((m["ratio"] for m in MEASUREMENTS if m.get("system") == "log append / plain write"), None)
    result.append(("log append / plain sequential write (fjord-bench)", v, "≥ 0.8", check(v, 0.8)))
    return result


def ratio_table() -> str:
    out = ["| figure | measured | target | met |", "|---|---|---|---|"]
    for what, value, target, met in ratio_rows():
        shown = "–" if value is None else f"{value:.2f}"
        verdict = {True: "yes", False: "**no**", None: "–"}[met]
        out.append(f"| {what} | {shown} | {target} | {verdict} |")
    return "\n".join(out)


def failover_table(figures: list[dict]) -> str:
    if not figures:
        return "(not measured)"
    out = ["| fault | rounds | leader elected (s) median (min–max) | first acks=all ack (s) median (min–max) |",
           "|---|---|---|---|"]
    for sig in ("kill -9", "SIGTERM"):
        fs = [f for f in figures if f["signal"] == sig]
        if not fs:
            continue

        def sp(key):
            values = [f[key] for f in fs if f[key] is not None]
            return (statistics.median(values), min(values), max(values)) if values else None
        out.append(f"| {sig} of the leader | {len(fs)} | {fmt_spread(sp('leader_elected_s'), 3)} | "
                   f"{fmt_spread(sp('first_ack_s'), 3)} |")
    return "\n".join(out)


# Main ------------------------------------------------------------------------------------------------------------
BIN_DRIVERS: dict[str, Path] = {}


def build_drivers() -> None:
    out = WORK / "drivers"
    out.mkdir(parents=True, exist_ok=True)
    specs = {"rdkafka": ("rdkafka_bench.c", ["-lrdkafka", "-lpthread"]),
             "nats": ("nats_bench.c", ["-lnats", "-lpthread"]),
             "fetch_raw": ("fetch_raw.c", [])}
    for name, (source, libs) in specs.items():
        target = out / name
        subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", str(target), str(DRIVERS / source), *libs],
                       check=True, timeout=120)
        BIN_DRIVERS[name] = target


def main() -> int:
    for tool in ("gcc", "redis-server", "redis-benchmark", "nats-server", "fio", "iperf3", "java"):
        if shutil.which(tool) is None:
            print(f"bench: `{tool}` is missing; run bench/install-deps.sh", file=sys.stderr)
            return 2
    for binary in ("fjord-broker", "fjord-controller", "fjord-bench"):
        if not (BIN / binary).exists():
            print(f"bench: {BIN / binary} is missing; build release products first (make bench)", file=sys.stderr)
            return 2
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    atexit.register(cleanup)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    build_drivers()
    date = datetime.date.today().isoformat()
    header = {"date": date, "quick": QUICK, "load_start": loadavg(), "cpus": os.cpu_count(),
              "kernel": os.uname().release}
    log(f"machine: {os.cpu_count()} CPUs, load {header['load_start']}; quick={QUICK}; budget {BUDGET_S:.0f} s")

    f1 = Fjord("fjord-1", 1, 1, PORT_FJORD1, SINGLE_BROKER_ENV)
    f3 = Fjord("fjord-3", 3, 2, PORT_FJORD3, {"KAFKA_LOG_LEVEL": "warning"})
    res = Redis("redis-everysec", PORT_REDIS_ES, "everysec")
    ral = Redis("redis-always", PORT_REDIS_AL, "always")
    nats = Nats(PORT_NATS)
    micro = groups = ""
    figures: list[dict] = []
    try:
        log("starting servers")
        for server in (f1, f3, res, ral, nats):
            server.start()
        PHASE_LOAD["servers started"] = loadavg()
        keep: dict = {}
        log("phase: limits (iperf3, fio)")
        PHASE_LOAD["limits"] = loadavg()
        phase_limits()
        log("phase: produce P1-P4")
        PHASE_LOAD["produce"] = loadavg()
        phase_produce(f1, f3, res, ral, nats, keep)
        log("phase: consume C1")
        PHASE_LOAD["consume"] = loadavg()
        phase_consume(f1, res, keep)
        log("phase: end-to-end latency L1")
        PHASE_LOAD["latency"] = loadavg()
        phase_latency(f1, nats)
        # The peers are done: stop them so the rest runs on a quieter machine.
        for pid in (res.pid, ral.pid, nats.pid):
            stop_pid(pid)
            STARTED_PIDS.remove(pid)
        f1.stop()
        log("phase: failover (three brokers)")
        PHASE_LOAD["failover"] = loadavg()
        figures = phase_failover(f3)
        log("phase: consumer groups")
        groups = phase_groups(f3)
        f3.stop()
        log("phase: micro-benchmarks (fjord-bench all)")
        PHASE_LOAD["micro"] = loadavg()
        micro = phase_micro()
    finally:
        cleanup()
    header["load_end"] = loadavg()
    header["elapsed_s"] = round(time.monotonic() - STARTED)
    write_results(date, header, figures, micro, groups)
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


def write_results(date: str, header: dict, figures: list[dict], micro: str, groups: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / (date + ("-quick" if QUICK else ""))
    loads = "; ".join(f"{k}: {v}" for k, v in PHASE_LOAD.items())
    text = f"""# Fjord benchmark results, {date}{" (BENCH_QUICK=1)" if QUICK else ""}

Machine: {header['cpus']} CPUs, Linux {header['kernel']}; every server and driver on this one machine over 127.0.0.1.
Load average (1/5/15 min) at start {header['load_start']}, at end {header['load_end']}; per phase: {loads}.
Rounds: one warm-up, then {RUNS} measured, systems interleaved within each round. Elapsed {header['elapsed_s']} s.
Generated by `make bench` (bench/run.py); method and reading in docs/performance.md.

Workloads: P1 RF=1 acks=1 linger 5 ms 1 MiB batches (single broker, 3 partitions); P2 the same, linger 0; P3 RF=3
acks=all (three brokers, min.insync.replicas=2); P4 P3 with `flush.messages=1` (fsync before ack, group commit);
C1 read everything from offset 0 (the last P1 topic); L1 end-to-end latency, 100 B records, producer linger 0.
Latencies under P1-P4 are the producers' send → acknowledgement times at full speed (queueing included);
Redis figures come from redis-benchmark (one connection, 1000-deep pipeline; p99.9 not reported).
Server CPU s/GB: CPU seconds of the server processes (all three brokers for fjord-3) per GB of record values.

## Targets (ratios from this run)

{ratio_table()}

## All measurements

{tables()}

## Failover (three brokers, zookeeper.session.timeout.ms=6000, release build)

{failover_table(figures)}

## Consumer groups (bench/groups_bench.py)

```
{groups.strip() or "(skipped)"}
```

## Micro-benchmarks (fjord-bench all)

```
{micro.strip() or "(not run)"}
```

## Notes

{chr(10).join("- " + n for n in NOTES) or "- none"}
"""
    Path(str(stem) + ".md").write_text(text)
    Path(str(stem) + ".json").write_text(json.dumps(
        {"header": header, "phase_load": PHASE_LOAD, "measurements": MEASUREMENTS, "failover": figures,
         "notes": NOTES}, indent=1, default=str))
    print()
    print(text)
    print(f"written: {stem}.md and {stem}.json")


if __name__ == "__main__":
    sys.exit(main())
