"""Fault-injection suite: one Fjord cluster (ZooKeeper, two controllers, three brokers; the `make cluster` topology
from scripts/cluster.py) started once per session in .build/faults-cluster with its own port range
(FJORD_FAULTS_PORT_OFFSET, default 6000: ZooKeeper on 8181, brokers on 15092-15094, inter-broker 25092-25094;
every port below the kernel's ephemeral range, which starts at 32768) and short timeouts, so that failures are
detected in seconds. Every process is stopped by pid at the end, also when a test fails; the directory
(data and logs) is kept for inspection and wiped at the next run.

Figures measured by the tests are collected in the `figures` fixture and written to .build/fault-figures.json."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import kafka_wire as wire  # noqa: E402
import validate_logs  # noqa: E402
import zkread  # noqa: E402
from cluster import Cluster, pid_alive  # noqa: E402
from harness import wait_until  # noqa: E402

PORT_OFFSET = int(os.environ.get("FJORD_FAULTS_PORT_OFFSET", "6000"))
CLUSTER_DIR = Path(os.environ.get("FJORD_FAULTS_DIR", ROOT / ".build" / "faults-cluster"))
FIGURES_FILE = Path(os.environ.get("FJORD_FAULT_FIGURES", ROOT / ".build" / "fault-figures.json"))
#: ZooKeeper session timeout of brokers and controllers: how long a dead process keeps its registration.
SESSION_TIMEOUT_MS = int(os.environ.get("FJORD_FAULTS_SESSION_TIMEOUT_MS", "3000"))
#: How long a follower may lag before the leader proposes to drop it from the ISR.
REPLICA_LAG_TIME_MAX_MS = int(os.environ.get("FJORD_FAULTS_REPLICA_LAG_TIME_MAX_MS", "4000"))
SESSION_S = SESSION_TIMEOUT_MS / 1000


class FaultCluster(Cluster):
    """The scripts/cluster.py topology plus the queries fault tests need. ZooKeeper is the source of truth for
    leadership and ISR; brokers answer for high watermarks; their log directories hold the bytes."""

    # State ---------------------------------------------------------------------------------------------------------
    def states(self, topic: str) -> dict[int, dict]:
        return zkread.partition_states(self.zk_port, topic)

    def leader(self, topic: str, partition: int) -> int:
        return self.states(topic)[partition]["leader"]

    def assignment(self, topic: str) -> dict[int, list[int]]:
        return zkread.assignment(self.zk_port, topic)

    def live_brokers(self) -> dict[int, int]:
        return zkread.live_brokers(self.zk_port)

    def active_controller(self) -> int | None:
        return zkread.active_controller(self.zk_port)

    def client_address(self, broker: int) -> tuple[str, int]:
        return ("127.0.0.1", self.broker_port(broker))

    def log_dir(self, broker: int) -> Path:
        return self.dir / f"broker-{broker}" / "data"

    def partition_dir(self, broker: int, topic: str, partition: int) -> Path:
        return self.log_dir(broker) / f"{topic}-{partition}"

    def checkpointed_hw(self, broker: int, topic: str, partition: int) -> int | None:
        path = self.log_dir(broker) / validate_logs.HW_CHECKPOINT
        return validate_logs.read_offset_checkpoint(path).get((topic, partition))

    def high_watermark(self, topic: str, partition: int) -> int:
        """The current leader's high watermark (ListOffsets latest), from ZooKeeper's idea of the leader."""
        leader = self.leader(topic, partition)
        if leader < 0:
            raise RuntimeError(f"{topic}-{partition} has no leader")
        error, offset = wire.list_offset(*self.client_address(leader), topic, partition)
        if error:
            raise RuntimeError(f"ListOffsets on leader {leader}: {wire.error_name(error)}")
        return offset

    def log_lines(self, name: str, *needles: str, last: int = 12, within: str = "") -> list[str]:
        """The last `last` lines of a process's log containing any of `needles` (case-insensitive) and, if given,
        the text `within` (e.g. a topic name)."""
        try:
            lines = self.proc(name).log.read_text(errors="replace").splitlines()
        except OSError:
            return []
        lowered = [n.lower() for n in needles]
        return [line for line in lines
                if within in line and any(n in line.lower() for n in lowered)][-last:]

    # Waiting on conditions -------------------------------------------------------------------------------------
    def resume_stopped(self) -> None:
        """SIGCONT to any process left stopped (a failed SIGSTOP test must not poison the next one)."""
        for name in self.names():
            pid = self.pid(name)
            if pid and process_state(pid) == "T":
                os.kill(pid, signal.SIGCONT)

    def ensure_whole(self, timeout: float = 60.0) -> None:
        """Every process running, every broker registered and reporting every broker, an active controller."""
        self.resume_stopped()
        for name in self.names():
            if not self.pid(name):
                self.start_one(name)
        wait_until(lambda: len(self.live_brokers()) == len(self.broker_ids), timeout, "all brokers registered")
        try:
            self.wait_ready(timeout)
        except SystemExit as e:
            raise AssertionError(str(e)) from None
        wait_until(lambda: self.active_controller() is not None, timeout, "an active controller")

    def wait_isr_full(self, topic: str, timeout: float = 60.0) -> dict[int, dict]:
        """Waits until every partition has a live leader and its whole replica list in the ISR (ZooKeeper), and the
        leader answers ListOffsets in that leader epoch (it has taken up leadership)."""
        replicas = self.assignment(topic)

        def full():
            states = self.states(topic)
            live = self.live_brokers()
            for p, reps in replicas.items():
                s = states.get(p)
                if not s or s["leader"] not in live or sorted(s["isr"]) != sorted(reps):
                    return None
            for p in replicas:
                if not self.serves_epoch(topic, p, states[p]):
                    return None
            return states

        try:
            return wait_until(full, timeout, f"a full ISR on every partition of {topic}", interval=0.1)
        except AssertionError as e:
            raise AssertionError(f"{e}; ZooKeeper state now: {self.safe_states(topic)}, live brokers "
                                 f"{sorted(self.safe_live())}") from None

    def serves_epoch(self, topic: str, partition: int, state: dict) -> bool:
        """Whether the leader ZooKeeper names has taken up leadership in the epoch ZooKeeper names."""
        # The earliest offset (-2): the latest is refused with OFFSET_NOT_AVAILABLE while a new leader's HW is
        # below its epoch start, which lasts as long as the ISR is below min.insync.replicas.
        error, _ = wire.list_offset_in_epoch(*self.client_address(state["leader"]), topic, partition,
                                             state["leader_epoch"], timestamp=-2)
        return error == wire.NONE

    def safe_states(self, topic: str):
        try:
            return self.states(topic)
        except Exception as e:  # for error messages only
            return repr(e)

    def safe_live(self):
        try:
            return self.live_brokers()
        except Exception:
            return {}

    def wait_new_leader(self, topic: str, partition: int, old_leader: int, timeout: float) -> tuple[int, int]:
        """Waits for ZooKeeper to name a leader other than `old_leader` (and not -1): (leader, leader epoch)."""
        def elected():
            s = self.states(topic)[partition]
            return (s["leader"], s["leader_epoch"]) if s["leader"] not in (-1, old_leader) else None

        return wait_until(elected, timeout, f"a new leader for {topic}-{partition} (was {old_leader})", 0.02)

    def wait_replicas_settled(self, topic: str, timeout: float = 60.0) -> dict[tuple[str, int], int]:
        """After producing stopped: waits until every replica checkpointed the leader's high watermark, so each
        replica's log is known to reach it. Returns {(topic, partition): HW}."""
        replicas = self.assignment(topic)

        def settled():
            hws = {}
            for p, reps in replicas.items():
                hw = self.high_watermark(topic, p)
                if any(self.checkpointed_hw(b, topic, p) != hw for b in reps):
                    return None
                hws[(topic, p)] = hw
            return hws

        def detail():
            out = {}
            for p, reps in replicas.items():
                try:
                    out[p] = {"leader_hw": self.high_watermark(topic, p),
                              **{f"ckpt{b}": self.checkpointed_hw(b, topic, p) for b in reps}}
                except Exception as e:
                    out[p] = repr(e)
            return out

        try:
            return wait_until(settled, timeout, "every replica to checkpoint the leader's high watermark", 0.2)
        except AssertionError as e:
            raise AssertionError(f"{e}: {detail()}") from None

    def validate_logs(self, topic: str, high_watermarks: dict[tuple[str, int], int]) -> list:
        dirs = {str(b): self.log_dir(b) for b in self.broker_ids}
        return validate_logs.validate(dirs, topic=topic, high_watermarks=high_watermarks, min_replicas=1)

    # Topics ----------------------------------------------------------------------------------------------------
    def create_topic(self, topic: str, assignments: dict[int, list[int]], min_insync_replicas: int = 2,
                     timeout: float = 60.0) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        new = NewTopic(topic, num_partitions=len(assignments),
                       replica_assignment=[assignments[p] for p in sorted(assignments)],
                       config={"min.insync.replicas": str(min_insync_replicas)})
        futures = admin.create_topics([new], operation_timeout=30, request_timeout=30)
        futures[topic].result(timeout=40)
        wait_until(lambda: len(self.safe_states(topic) or {}) == len(assignments), timeout,
                   f"partition state of {topic} in ZooKeeper")
        self.wait_isr_full(topic, timeout)


def process_state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def parse_env_list(text: str) -> dict[str, str]:
    pairs = [item.split("=", 1) for item in text.split(",") if "=" in item]
    return {k.strip(): v.strip() for k, v in pairs}


def _stop_all(c: Cluster) -> None:
    """Stops every process of `c` by pid (SIGCONT first: a stopped process cannot act on SIGTERM)."""
    for name in reversed(c.names()):
        pid = c.pid(name)
        if pid:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        c.stop_one(name, timeout=10)


@pytest.fixture(scope="session")
def cluster():
    bin_dir = Path(os.environ.get("FJORD_BIN_DIR", ROOT / ".build" / "debug")).resolve()
    for binary in ("fjord-broker", "fjord-controller"):
        if not (bin_dir / binary).exists():
            pytest.fail(f"{bin_dir / binary} is missing; build it first (make test-faults does)")
    env = {"KAFKA_ZOOKEEPER_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS)}
    broker_env = env | {
        "KAFKA_REPLICA_LAG_TIME_MAX_MS": str(REPLICA_LAG_TIME_MAX_MS),
        "KAFKA_REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS": "500",
        "KAFKA_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS": "200",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        # test_groups_faults uses short member sessions so the group recovers within seconds.
        "KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS": "1000",
    }
    # Preferred leaders come back within seconds of a restart, so each test starts from balanced leadership.
    controller_env = env | {"KAFKA_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS": "5"}
    # Experiments: FJORD_FAULTS_BROKER_ENV / FJORD_FAULTS_CONTROLLER_ENV="KAFKA_X=1,KAFKA_Y=2" add or override.
    broker_env |= parse_env_list(os.environ.get("FJORD_FAULTS_BROKER_ENV", ""))
    controller_env |= parse_env_list(os.environ.get("FJORD_FAULTS_CONTROLLER_ENV", ""))
    c = FaultCluster(CLUSTER_DIR, port_offset=PORT_OFFSET, bin_dir=bin_dir, extra_broker_env=broker_env,
                     extra_controller_env=controller_env)
    _stop_all(c)  # a previous run that was itself killed may have left processes (by their pid files)
    shutil.rmtree(CLUSTER_DIR, ignore_errors=True)
    atexit.register(_stop_all, c)
    started = time.monotonic()
    try:
        c.start(timeout=90)
        c.ensure_whole(60)
    except (SystemExit, AssertionError) as e:
        tails = "\n".join(f"--- {n} ---\n" + "\n".join(c.log_lines(n, "", last=15)) for n in c.names())
        _stop_all(c)
        pytest.fail(f"fault cluster did not start: {e}\n{tails}")
    print(f"\nfault cluster up in {time.monotonic() - started:.1f}s under {CLUSTER_DIR} "
          f"(binaries {bin_dir}, session timeout {SESSION_TIMEOUT_MS} ms, replica lag {REPLICA_LAG_TIME_MAX_MS} ms, "
          f"broker env {broker_env}, controller env {controller_env})")
    try:
        yield c
    finally:
        _stop_all(c)
        leftover = [n for n in c.names() if c.pid(n)]
        print(f"\nfault cluster stopped{'; still running: ' + str(leftover) if leftover else ''}; "
              f"data and logs under {CLUSTER_DIR}")


@pytest.fixture(scope="session")
def figures(cluster):
    """Figures the tests measure; written (merged into any earlier file) to FIGURES_FILE at the end."""
    data: dict = {}
    yield data
    if not data:
        return
    try:
        existing = json.loads(FIGURES_FILE.read_text())
    except (OSError, ValueError):
        existing = {}
    existing.update(data)
    existing["environment"] = {
        "session_timeout_ms": SESSION_TIMEOUT_MS,
        "replica_lag_time_max_ms": REPLICA_LAG_TIME_MAX_MS,
        "binaries": str(cluster.bin),
        "broker_env": cluster.extra_broker_env,
        "controller_env": cluster.extra_controller_env,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_FILE.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    print(f"\nfault figures written to {FIGURES_FILE}:\n{json.dumps(data, indent=2, sort_keys=True)}")


@pytest.fixture
def whole(cluster):
    """The cluster, made whole (every process up and registered) before the test."""
    cluster.ensure_whole()
    return cluster
