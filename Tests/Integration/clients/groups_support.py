"""Support for the consumer-group tests (Tests/Integration/test_groups.py, Tests/Faults/test_groups_faults.py):
member processes (clients/groups_consumer.py) started, stopped, killed and paused by pid; their record logs read
back; topics created and filled; and the delivery checks — every produced record consumed, duplicates only where
the group's committed offset had not passed them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))

import groups_wire as gw  # noqa: E402

#: Interpreter per client: kafka-python 2.0.2 has its own virtualenv; 3.x and confluent-kafka share .venv.
PYTHONS = {"kp2": ROOT / ".venv-kp2" / "bin" / "python", "kp3": ROOT / ".venv" / "bin" / "python",
           "ck": ROOT / ".venv" / "bin" / "python"}
DRIVER = HERE / "groups_consumer.py"


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    """Polls `condition` (bounded in time and count); returns its first truthy value, else AssertionError."""
    deadline = time.monotonic() + timeout
    last_error = None
    for _ in range(int(timeout / interval) + 2):
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # conditions race with restarts and half-written files
            last_error = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}"
                         + (f" (last error: {last_error!r})" if last_error else ""))


# Member processes ---------------------------------------------------------------------------------------------------
@dataclass
class Record:
    t: float
    partition: int
    offset: int


@dataclass
class MemberLog:
    """records.log of one member, parsed."""
    records: list[Record] = field(default_factory=list)
    commits: list[Record] = field(default_factory=list)  # offset = the next offset to consume
    assignments: list[tuple[float, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class MemberProcess:
    """A group member in its own process (its own session, so signals reach only it)."""

    def __init__(self, name: str, kind: str, directory: Path, bootstrap: str, topic: str, group: str,
                 assignor: str = "range", **options):
        self.name, self.kind = name, kind
        self.dir = Path(directory) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [str(PYTHONS[kind]), str(DRIVER), "--client", "ck" if kind == "ck" else "kp",
                "--bootstrap", bootstrap, "--topic", topic, "--group", group, "--dir", str(self.dir),
                "--assignor", assignor, "--client-id", f"{name}-{kind}"]
        for key, value in options.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                argv.append(flag)
            elif value is not None and value is not False:
                argv += [flag, str(value)]
        self.argv = argv
        self.stderr = open(self.dir / "stderr.log", "ab")
        self.proc = subprocess.Popen(argv, stdout=self.stderr, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=str(ROOT))
        self.pid = self.proc.pid

    def __repr__(self) -> str:
        return f"{self.name}({self.kind}, pid {self.pid})"

    def state(self) -> dict:
        try:
            return json.loads((self.dir / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def log(self) -> MemberLog:
        out = MemberLog()
        try:
            text = (self.dir / "records.log").read_text(errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            parts = line.split(" ", 2)
            if len(parts) < 3:
                continue  # a line cut by kill -9
            kind, t, rest = parts[0], float(parts[1]), parts[2]
            if kind in ("R", "C"):
                fields = rest.split()
                if len(fields) != 2:
                    continue
                (out.records if kind == "R" else out.commits).append(Record(t, int(fields[0]), int(fields[1])))
            elif kind == "A":
                out.assignments.append((t, rest))
            elif kind == "E":
                out.errors.append(rest)
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.kill(self.pid, sig)

    def kill9(self) -> None:
        self.signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (SIGCONT first, in case it is stopped): it leaves the group and exits; SIGKILL if it hangs."""
        if self.alive():
            os.kill(self.pid, signal.SIGCONT)
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.stderr.close()

    def stderr_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join((self.dir / "stderr.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def stop_all(members) -> None:
    """Stops every member, in parallel (each leaves the group), bounded."""
    for m in members:
        if m.alive():
            os.kill(m.pid, signal.SIGCONT)
            os.kill(m.pid, signal.SIGTERM)
    for m in members:
        m.stop()


def describe_members(members) -> str:
    return "\n".join(f"{m}: state={ {k: v for k, v in m.state().items() if k != 'coordinator_errors'} }\n"
                     f"  stderr: {m.stderr_tail(5)}" for m in members)


# Topics and records -------------------------------------------------------------------------------------------------
def create_topic(bootstrap: str, topic: str, partitions: int, replication_factor: int = 3,
                 brokers: list[tuple[str, int]] | None = None, timeout: float = 60.0) -> None:
    """Creates the topic and waits until every broker in `brokers` reports a leader for every partition."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, replication_factor)], operation_timeout=30,
                                  request_timeout=40)
    futures[topic].result(timeout=45)
    for host, port in brokers or []:
        def led(host=host, port=port):
            with gw.Connection(host, port, timeout=5) as c:
                leaders = gw.partition_leaders(c, topic)
            return len(leaders) == partitions and all(leader >= 0 for leader in leaders.values())
        wait_for(led, timeout, f"leaders of {topic} in the metadata of {host}:{port}")


def produce(bootstrap: str, topic: str, count: int, partitions: int, start: int = 0) -> set[tuple[int, int]]:
    """Produces `count` records (record i to partition i % partitions) with acks=all; returns their (partition,
    offset)s. Fails unless every record is acknowledged."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                         "enable.idempotence": True})
    acked: set[tuple[int, int]] = set()
    failed: list[str] = []

    def report(err, msg):
        if err is not None:
            failed.append(str(err))
        else:
            acked.add((msg.partition(), msg.offset()))

    for i in range(start, start + count):
        while True:
            try:
                producer.produce(topic, value=b"record-%08d" % i, key=b"%d" % i, partition=i % partitions,
                                 on_delivery=report)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    assert remaining == 0 and not failed, f"produce: {remaining} unacknowledged, errors {failed[:5]}"
    assert len(acked) == count
    return acked


def end_offsets(brokers: dict[int, tuple[str, int]], topic: str, partitions: int) -> dict[int, int]:
    """Each partition's end offset (high watermark), asked of its leader."""
    def ask():
        first = next(iter(brokers.values()))
        with gw.Connection(*first) as c:
            leaders = gw.partition_leaders(c, topic)
        out = {}
        for p in range(partitions):
            with gw.Connection(*brokers[leaders[p]]) as c:
                error, offset = gw.list_offset(c, topic, p)
            if error != gw.NONE:
                return None
            out[p] = offset
        return out
    return wait_for(ask, 30, f"end offsets of {topic}")


# Checks -------------------------------------------------------------------------------------------------------------
@dataclass
class Delivery:
    consumed: dict[tuple[int, int], list[tuple[str, float]]]
    missing: set[tuple[int, int]]
    duplicates: dict[tuple[int, int], list[tuple[str, float]]]
    unexplained_duplicates: list[str]


def delivery(produced: set[tuple[int, int]], members) -> Delivery:
    """Who consumed which record, which produced records nobody consumed, and which duplicates are not explained by
    "records after the last commit may repeat": a record consumed again at time t must be at or past the highest
    offset any member had committed for its partition before t."""
    consumed: dict[tuple[int, int], list[tuple[str, float]]] = defaultdict(list)
    commits: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for m in members:
        log = m.log()
        for r in log.records:
            consumed[(r.partition, r.offset)].append((m.name, r.t))
        for c in log.commits:
            commits[c.partition].append((c.t, c.offset))
    missing = produced - set(consumed)
    duplicates = {k: sorted(v, key=lambda x: x[1]) for k, v in consumed.items() if len(v) > 1}
    unexplained = []
    for (partition, offset), readers in sorted(duplicates.items()):
        for name, t in readers[1:]:
            committed_before = max((o for tc, o in commits[partition] if tc < t), default=0)
            if offset < committed_before:
                unexplained.append(f"partition {partition} offset {offset}: read by {readers} although offset "
                                   f"{committed_before} was committed before {name} read it")
    return Delivery(dict(consumed), missing, duplicates, unexplained)


def committed(host: str, port: int, group: str, topic: str, partitions: int) -> dict[int, tuple[int, str | None]]:
    """The group's committed offsets as its coordinator reports them: {partition: (offset, metadata)}."""
    with gw.Connection(host, port) as c:
        error, offsets = gw.offset_fetch(c, group, {topic: list(range(partitions))})
    assert error == gw.NONE, gw.error_name(error)
    return {p: (o, md) for (t, p), (o, md, e) in offsets.items() if t == topic}


def coordinator_address(brokers: dict[int, tuple[str, int]], group: str) -> tuple[int, tuple[str, int]]:
    node = wait_for(lambda: gw.coordinator_of(list(brokers.values()), group), 60, f"a coordinator for {group}")
    return node, brokers[node]


def group_assignment(address: tuple[str, int], group: str) -> tuple[str, dict[str, list[int]]]:
    """DescribeGroups at the coordinator: (state, {member id: partitions of the assignment})."""
    with gw.Connection(*address) as c:
        [d] = gw.describe_groups(c, [group])
    assert d.error == gw.NONE, gw.error_name(d.error)
    return d.state, {m["member_id"]: sorted(p for ps in gw.parse_assignment(m["assignment"]).values() for p in ps)
                     for m in d.members}
