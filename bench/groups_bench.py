#!/usr/bin/env python3
"""Consumer-group figures for `make bench`:

1. OffsetCommit requests per second the cluster sustains, 10 partitions per commit. `--groups` offsets-only groups
   (commits with generation -1, as consumers using assign() and admin tools send them; a member's commit takes the
   same path plus a generation check) spread over the brokers by FindCoordinator; per group `--connections`
   connections (its members), each committing back to back (a broker, like Kafka, handles one group request per
   connection at a time). Every commit is one ZooKeeper `multi`, or shares one with the group's other commits in
   flight (docs/group-coordinator.md). Reported: requests/s, offsets/s, the latency of one request (p50/p99) and
   the errors (must be none). The load generator is this Python process: on a small machine it shares the CPU
   with the brokers and ZooKeeper, so the figure is a floor.
2. Rebalance time when a 4th member joins a stable group of 3: members speak the protocol directly (JoinGroup v5,
   SyncGroup v3, Heartbeat v3 every `--heartbeat-ms`, range assignment by the leader), so the figure is the
   coordinator's plus one heartbeat interval, not a client library's scheduling. Measured from the 4th member's
   first JoinGroup until every member holds its SyncGroup answer for the new generation; `--trials` times (the 4th
   member leaves and the group settles between trials); median, min and max.

Against a running cluster (`--bootstrap host:port,...`), or one it starts itself from `--bin` (the scripts/cluster.py
topology: ZooKeeper, two controllers, three brokers, in a temporary directory, ports offset by `--port-offset`),
stopped by pid at the end. Prints one result line and writes JSON to `--json` (default .build/bench/groups.json).
Standard library only (plus Tests/Integration/clients/groups_wire.py)."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "Tests" / "Integration" / "clients"))
import groups_wire as gw  # noqa: E402

COMMIT_PARTITIONS = 10


def log(text: str) -> None:
    print(f"[groups-bench] {text}", file=sys.stderr, flush=True)


def parse_bootstrap(text: str) -> list[tuple[str, int]]:
    out = []
    for item in text.split(","):
        host, _, port = item.strip().rpartition(":")
        out.append(("127.0.0.1" if host in ("localhost", "") else host, int(port)))
    return out


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # the cluster may still be settling
            last = e
        time.sleep(interval)
    raise SystemExit(f"groups-bench: timed out after {timeout:.0f}s waiting for {what} (last error: {last!r})")


# Cluster ------------------------------------------------------------------------------------------------------------
class Brokers:
    """The brokers' client addresses by node id, from Metadata."""

    def __init__(self, bootstrap: list[tuple[str, int]]):
        self.bootstrap = bootstrap
        self.by_id: dict[int, tuple[str, int]] = {}
        with gw.Connection(*bootstrap[0]) as c:
            r = c.call(3, 1, gw.array([], gw.string))
            for _ in range(r.take(">i")):
                node = r.take(">i")
                host = r.string()
                port = r.take(">i")
                r.string()
                self.by_id[node] = ("127.0.0.1" if host == "localhost" else host, port)

    def coordinator(self, group: str) -> tuple[int, tuple[str, int]]:
        node = wait_for(lambda: gw.coordinator_of(self.bootstrap, group), 30, f"the coordinator of {group}")
        return node, self.by_id[node]


def create_topic(brokers: Brokers, topic: str, partitions: int) -> None:
    """CreateTopics v2 (replication factor 3, or the broker count if smaller) at any broker; waits for leaders."""
    rf = min(3, len(brokers.by_id))
    body = gw.array([topic], lambda t: gw.string(t) + gw.struct.pack(">ih", partitions, rf) + gw.array([], None)
                    + gw.array([], None)) + gw.struct.pack(">ib", 30_000, 0)
    with gw.Connection(*brokers.bootstrap[0], timeout=40) as c:
        r = c.call(19, 2, body, timeout=40)
        r.take(">i")
        for _ in range(r.take(">i")):
            name = r.string()
            error = r.take(">h")
            message = r.string()
            if error not in (0, 36):  # 36: TOPIC_ALREADY_EXISTS
                raise SystemExit(f"groups-bench: CreateTopics {name}: error {error} {message}")
    for address in brokers.by_id.values():
        def led(address=address):
            with gw.Connection(*address) as c:
                leaders = gw.partition_leaders(c, topic)
            return len(leaders) == partitions and all(leader >= 0 for leader in leaders.values())
        wait_for(led, 60, f"leaders of {topic}")


def start_cluster(bin_dir: Path, port_offset: int):
    from cluster import Cluster
    directory = Path(tempfile.mkdtemp(prefix="fjord-groups-bench-"))
    env = {"KAFKA_ZOOKEEPER_SESSION_TIMEOUT_MS": "6000"}
    cluster = Cluster(directory, port_offset=port_offset, bin_dir=bin_dir,
                      extra_broker_env=env | {"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
                                              "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
                                              "KAFKA_LOG_LEVEL": "warning"},
                      extra_controller_env=env | {"KAFKA_LOG_LEVEL": "warning"})
    try:
        cluster.start(timeout=90)
    except BaseException:
        cluster.stop()
        raise
    return cluster, directory


# 1. OffsetCommit throughput -----------------------------------------------------------------------------------------
def commit_throughput(brokers: Brokers, topic: str, groups: int, connections: int, depth: int, seconds: float
                      ) -> dict:
    run_id = os.urandom(3).hex()
    group_names = [f"bench-commits-{run_id}-{i}" for i in range(groups)]
    coordinators = {name: brokers.coordinator(name) for name in group_names}
    names = [name for name in group_names for _ in range(connections)]
    workers = len(names)
    stop_at = [0.0]
    counts = [0] * workers
    latencies: list[list[float]] = [[] for _ in range(workers)]
    errors: list[list[str]] = [[] for _ in range(workers)]
    ready = threading.Barrier(workers + 1)

    def worker(i: int, name: str) -> None:
        _, address = coordinators[name]
        conn = gw.Connection(*address, timeout=30)
        try:
            # Warm up: the first request claims and loads the group on its coordinator.
            conn.call(8, 7, gw.offset_commit_body(name, -1, "", {(topic, p): 0 for p in range(COMMIT_PARTITIONS)}))
            ready.wait(60)
            sent: list[tuple[int, float]] = []
            offset = 1
            while True:
                now = time.monotonic()
                if now >= stop_at[0] and not sent:
                    break
                while now < stop_at[0] and len(sent) < depth:
                    body = gw.offset_commit_body(name, -1, "", {(topic, p): offset for p in range(COMMIT_PARTITIONS)})
                    sent.append((conn.send(8, 7, body), time.monotonic()))
                    offset += 1
                correlation, at = sent.pop(0)
                result = gw.offset_commit_result(conn.receive(correlation, 30))
                done = time.monotonic()
                bad = {k: v for k, v in result.items() if v != gw.NONE}
                if bad:
                    errors[i].append(f"{name}: {sorted(set(gw.error_name(v) for v in bad.values()))}")
                if done <= stop_at[0]:
                    counts[i] += 1
                    latencies[i].append(done - at)
        except Exception as e:
            errors[i].append(f"{name}: {type(e).__name__}: {e}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i, n), daemon=True) for i, n in enumerate(names)]
    stop_at[0] = time.monotonic() + 3600
    for t in threads:
        t.start()
    ready.wait(60)
    started = time.monotonic()
    stop_at[0] = started + seconds
    for t in threads:
        t.join(seconds + 60)
    elapsed = seconds
    total = sum(counts)
    lat = sorted(x for ls in latencies for x in ls)
    all_errors = [e for es in errors for e in es]

    def pct(q: float) -> float:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2) if lat else 0.0

    per_broker: dict[int, int] = {}
    for i, name in enumerate(names):
        node = coordinators[name][0]
        per_broker[node] = per_broker.get(node, 0) + counts[i]
    return {"requests_per_s": round(total / elapsed), "offsets_per_s": round(total * COMMIT_PARTITIONS / elapsed),
            "partitions_per_commit": COMMIT_PARTITIONS, "groups": groups, "connections_per_group": connections,
            "in_flight_per_connection": depth,
            "seconds": seconds, "requests": total, "latency_p50_ms": pct(0.5), "latency_p99_ms": pct(0.99),
            "requests_by_coordinator": {str(k): v for k, v in sorted(per_broker.items())},
            "errors": all_errors[:10], "error_count": len(all_errors)}


# 2. Rebalance time --------------------------------------------------------------------------------------------------
class RawMember(threading.Thread):
    """A group member speaking the protocol itself: joins, syncs (assigning with range when it leads), heartbeats
    every `heartbeat_ms`, rejoins when told to, leaves when stopped. `synced` maps generation → monotonic time at
    which this member received its assignment."""

    def __init__(self, name: str, address: tuple[str, int], group: str, topic: str, partitions: int,
                 heartbeat_ms: int):
        super().__init__(daemon=True, name=name)
        self.address, self.group, self.topic, self.partitions = address, group, topic, partitions
        self.heartbeat_s = heartbeat_ms / 1000
        self.member_id = ""
        self.generation = -1
        self.synced: dict[int, float] = {}
        self.assignment: list[int] = []
        self.stopping = threading.Event()
        self.error: str | None = None
        self.first_join_at: float | None = None

    def protocols(self):
        return [("range", gw.subscription([self.topic]))]

    def join_and_sync(self, conn: gw.Connection) -> None:
        while not self.stopping.is_set():
            if self.first_join_at is None:
                self.first_join_at = time.monotonic()
            j = gw.join_group(conn, self.group, self.member_id, self.protocols(), session_ms=10_000,
                              rebalance_ms=10_000)
            if j.error == gw.MEMBER_ID_REQUIRED:
                self.member_id = j.member_id
                continue
            if j.error == gw.UNKNOWN_MEMBER_ID:
                self.member_id = ""
                continue
            if j.error != gw.NONE:
                raise RuntimeError(f"JoinGroup: {gw.error_name(j.error)}")
            self.member_id, self.generation = j.member_id, j.generation
            plan = None
            if j.leader == j.member_id:
                ids = sorted(m[0] for m in j.members)
                per, extra = divmod(self.partitions, len(ids))
                plan, start = {}, 0
                for k, member in enumerate(ids):
                    n = per + (1 if k < extra else 0)
                    plan[member] = gw.assignment({self.topic: list(range(start, start + n))})
                    start += n
            error, data = gw.sync_group(conn, self.group, self.generation, self.member_id, plan)
            if error == gw.NONE:
                self.assignment = gw.parse_assignment(data).get(self.topic, [])
                self.synced[self.generation] = time.monotonic()
                return
            if error not in (gw.REBALANCE_IN_PROGRESS, gw.ILLEGAL_GENERATION, gw.UNKNOWN_MEMBER_ID):
                raise RuntimeError(f"SyncGroup: {gw.error_name(error)}")
            if error == gw.UNKNOWN_MEMBER_ID:
                self.member_id = ""

    def run(self) -> None:
        try:
            with gw.Connection(*self.address, timeout=30) as conn:
                self.join_and_sync(conn)
                while not self.stopping.wait(self.heartbeat_s):
                    error = gw.heartbeat(conn, self.group, self.generation, self.member_id)
                    if error == gw.NONE:
                        continue
                    if error == gw.UNKNOWN_MEMBER_ID:
                        self.member_id = ""
                    if error in (gw.REBALANCE_IN_PROGRESS, gw.ILLEGAL_GENERATION, gw.UNKNOWN_MEMBER_ID):
                        self.join_and_sync(conn)
                    else:
                        raise RuntimeError(f"Heartbeat: {gw.error_name(error)}")
                gw.leave_group(conn, self.group, [(self.member_id, None)])
        except Exception as e:
            self.error = f"{type(e).__name__}: {e}"

    def stop(self) -> None:
        self.stopping.set()
        self.join(15)


def rebalance_time(brokers: Brokers, topic: str, partitions: int, trials: int, heartbeat_ms: int) -> dict:
    group = f"bench-rebalance-{os.urandom(3).hex()}"
    _, address = brokers.coordinator(group)

    def settled(members) -> int | None:
        """The generation every member synced last, once they agree and the coordinator says Stable."""
        gens = {max(m.synced, default=-1) for m in members}
        if len(gens) != 1 or -1 in gens:
            return None
        if sorted(p for m in members for p in m.assignment) != list(range(partitions)):
            return None
        with gw.Connection(*address) as c:
            [d] = gw.describe_groups(c, [group])
        return gens.pop() if d.state == "Stable" and len(d.members) == len(members) else None

    three = [RawMember(f"m{i}", address, group, topic, partitions, heartbeat_ms) for i in range(3)]
    for m in three:
        m.start()
    times_ms = []
    try:
        wait_for(lambda: settled(three), 60, "a stable group of three")
        for trial in range(trials):
            generation = wait_for(lambda: settled(three), 60, "the group of three to settle")
            fourth = RawMember(f"m3-{trial}", address, group, topic, partitions, heartbeat_ms)
            fourth.start()
            everyone = three + [fourth]
            try:
                new = wait_for(lambda: (lambda g: g if g and g > generation else None)(settled(everyone)), 60,
                               "four members in a new generation")
                done = max(m.synced[new] for m in everyone)
                times_ms.append(round((done - fourth.first_join_at) * 1000, 1))
            finally:
                fourth.stop()
            errors = [m.error for m in everyone if m.error]
            if errors:
                raise SystemExit(f"groups-bench: member errors {errors}")
    finally:
        for m in three:
            m.stop()
    return {"median_ms": statistics.median(times_ms), "min_ms": min(times_ms), "max_ms": max(times_ms),
            "trials": times_ms, "heartbeat_interval_ms": heartbeat_ms, "partitions": partitions,
            "description": "a 4th member's first JoinGroup until all four hold their SyncGroup answers for the new "
                           "generation (3 members stable before; heartbeats every heartbeat_interval_ms)"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", help="host:port,... of a running cluster (else one is started from --bin)")
    ap.add_argument("--bin", default=os.environ.get("FJORD_BIN_DIR", str(ROOT / ".build" / "release")))
    ap.add_argument("--port-offset", type=int, default=int(os.environ.get("FJORD_GROUPS_BENCH_PORT_OFFSET", "8500")))
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to commit")
    ap.add_argument("--groups", type=int, default=48)
    ap.add_argument("--connections", type=int, default=3, help="connections committing to each group (members)")
    ap.add_argument("--depth", type=int, default=1,
                    help="OffsetCommit requests sent ahead per connection (a broker, like Kafka, handles a "
                         "connection's group requests one at a time, so more only queues)")
    ap.add_argument("--trials", type=int, default=7)
    ap.add_argument("--heartbeat-ms", type=int, default=100)
    ap.add_argument("--json", default=str(ROOT / ".build" / "bench" / "groups.json"))
    args = ap.parse_args()

    cluster = directory = None
    if args.bootstrap:
        bootstrap = parse_bootstrap(args.bootstrap)
    else:
        log(f"starting a cluster from {args.bin} (port offset {args.port_offset})")
        cluster, directory = start_cluster(Path(args.bin), args.port_offset)
        bootstrap = [("127.0.0.1", cluster.broker_port(b)) for b in cluster.broker_ids]
    try:
        brokers = Brokers(bootstrap)
        topic = f"bench-groups-{os.urandom(3).hex()}"
        create_topic(brokers, topic, COMMIT_PARTITIONS)
        log(f"OffsetCommit: {args.groups} groups x {args.connections} connections, {args.seconds:.0f}s")
        commits = commit_throughput(brokers, topic, args.groups, args.connections, args.depth, args.seconds)
        log(f"rebalance: {args.trials} trials, heartbeat {args.heartbeat_ms} ms")
        rebalance = rebalance_time(brokers, topic, COMMIT_PARTITIONS, args.trials, args.heartbeat_ms)
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(directory, ignore_errors=True)
    result = {"offset_commit": commits, "rebalance_join_4th_member": rebalance, "brokers": len(brokers.by_id),
              "binaries": None if args.bootstrap else args.bin,
              "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "loadavg": open("/proc/loadavg").read().split()[:3]}
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"groups: OffsetCommit ({COMMIT_PARTITIONS} partitions each) {commits['requests_per_s']} req/s "
          f"({commits['offsets_per_s']} offsets/s, p50 {commits['latency_p50_ms']} ms, p99 "
          f"{commits['latency_p99_ms']} ms, {commits['error_count']} errors); rebalance when a 4th member joins 3: "
          f"median {rebalance['median_ms']} ms (min {rebalance['min_ms']}, max {rebalance['max_ms']}; heartbeat "
          f"{rebalance['heartbeat_interval_ms']} ms) -> {path}")
    return 1 if commits["error_count"] else 0


if __name__ == "__main__":
    sys.exit(main())
