"""Integration tests: one Fjord cluster (ZooKeeper, two controllers, three brokers) as real processes, started once
per test session in a temporary directory and a port range of its own (FJORD_TEST_PORT_OFFSET, default 1000: ZooKeeper
on 3181, brokers on 10092-10094) so a developer's `make cluster` is not disturbed. Everything is stopped by pid at
the end; the directory is kept (and printed) when a test failed, or when FJORD_KEEP_TEST_CLUSTER is set."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster import Cluster, pid_alive  # noqa: E402
from zk import ZooKeeper  # noqa: E402

PORT_OFFSET = int(os.environ.get("FJORD_TEST_PORT_OFFSET", "1000"))
# Short sessions so that failover (controller, broker) happens within seconds.
SESSION_TIMEOUT_MS = 3000


class TestCluster(Cluster):
    """The scripts/cluster.py topology plus what tests need to inspect it."""

    def zk(self) -> ZooKeeper:
        return ZooKeeper("127.0.0.1", self.zk_port, chroot="/fjord")

    def broker_address(self, broker_id: int) -> tuple[str, int]:
        return ("127.0.0.1", self.broker_port(broker_id))

    def internal_address(self, broker_id: int) -> tuple[str, int]:
        return ("127.0.0.1", self.broker_internal_port(broker_id))

    def log_tail(self, name: str, lines: int = 40) -> str:
        p = self.proc(name)
        try:
            return "\n".join(p.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@pytest.fixture(scope="session")
def cluster(request):
    bin_dir = Path(os.environ.get("FJORD_BIN_DIR", ROOT / ".build" / "debug")).resolve()
    for binary in ("fjord-broker", "fjord-controller"):
        if not (bin_dir / binary).exists():
            pytest.fail(f"{bin_dir / binary} is missing; build it first (make test-integration does)")
    directory = Path(tempfile.mkdtemp(prefix="fjord-it-"))
    env = {"KAFKA_ZOOKEEPER_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS)}
    c = TestCluster(
        directory, port_offset=PORT_OFFSET, bin_dir=bin_dir,
        # Auto-creation off: a client's background metadata refresh could otherwise create a topic (with
        # num.partitions) just before the test's CreateTopics, as it would on Kafka. test_metadata covers trap 9.
        extra_broker_env=env | {"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
                                "KAFKA_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS": "500",
                                "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
                                # Group tests use 2-3 s sessions so member failures are detected in seconds.
                                "KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS": "1000"},
        extra_controller_env=env)
    started = time.monotonic()
    try:
        c.start(timeout=90)
    except SystemExit as e:
        tails = "\n".join(f"--- {n} ---\n{c.log_tail(n)}" for n in c.names())
        c.stop()
        pytest.fail(f"cluster did not start: {e}\n{tails}")
    print(f"\ncluster up in {time.monotonic() - started:.1f}s under {directory}")
    yield c
    c.stop()
    failed = request.session.testsfailed > 0
    if failed or os.environ.get("FJORD_KEEP_TEST_CLUSTER"):
        print(f"\ncluster data and logs kept under {directory}")
    else:
        shutil.rmtree(directory, ignore_errors=True)


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    """Polls `condition` (bounded in time and count) and returns its first truthy value; fails with `what`."""
    deadline = time.monotonic() + timeout
    last_error = None
    for _ in range(int(timeout / interval) + 2):
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # conditions may race with restarts; keep polling
            last_error = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def ensure_all_up(c: TestCluster, timeout: float = 60):
    """Restarts any stopped process and waits until every broker reports all brokers: tests leave the cluster
    whole for the next one."""
    for name in c.names():
        if not c.pid(name):
            c.start_one(name)
    c.wait_ready(timeout)


@pytest.fixture
def whole_cluster(cluster):
    """The cluster, checked whole before the test and made whole again after it."""
    ensure_all_up(cluster)
    yield cluster
    ensure_all_up(cluster)


def run_client(script: str, python: Path, *args: str, timeout: float = 400) -> dict:
    import json
    import subprocess
    proc = subprocess.run([str(python), str(Path(__file__).parent / "clients" / script), *args],
                          capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"errors": ["no result"]}
    result["returncode"] = proc.returncode
    result["stderr"] = proc.stderr[-2000:]
    return result

