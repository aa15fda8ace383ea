"""The cluster's source of truth in ZooKeeper as fault tests and `make bench` read it — partition state, broker
registrations, the active controller — through the integration tests' read-only client (Tests/Integration/zk.py).
Each call opens, uses and closes its own session, so a test never holds a session that could outlive the ZooKeeper
server it talks to."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1] / "Integration"))
from zk import NoNode, ZooKeeper  # noqa: E402,F401  (the shared client; NoNode is re-exported)


def reader(port: int, chroot: str = "/fjord") -> ZooKeeper:
    """A session on the cluster's chroot; use it in a `with` block."""
    return ZooKeeper("127.0.0.1", port, chroot=chroot, timeout=3.0)


def partition_states(port: int, topic: str) -> dict[int, dict]:
    """{partition: {'leader', 'leader_epoch', 'isr', 'version'}} from /brokers/topics/<t>/partitions/<p>/state."""
    states = {}
    with reader(port) as zk:
        for name in zk.children(f"/brokers/topics/{topic}/partitions"):
            try:
                data, stat = zk.get(f"/brokers/topics/{topic}/partitions/{name}/state")
            except NoNode:
                continue
            state = json.loads(data)
            state["version"] = stat.version
            states[int(name)] = state
    return states


def assignment(port: int, topic: str) -> dict[int, list[int]]:
    with reader(port) as zk:
        data, _ = zk.get(f"/brokers/topics/{topic}")
    return {int(p): replicas for p, replicas in json.loads(data)["partitions"].items()}


def live_brokers(port: int) -> dict[int, int]:
    """{broker id: broker epoch (czxid of its registration)}."""
    with reader(port) as zk:
        result = {}
        for name in zk.children("/brokers/ids"):
            try:
                result[int(name)] = zk.get(f"/brokers/ids/{name}")[1].czxid
            except NoNode:
                pass
        return result


def active_controller(port: int) -> int | None:
    with reader(port) as zk:
        try:
            data, _ = zk.get("/controller")
        except NoNode:
            return None
    return int(json.loads(data)["brokerid"])
