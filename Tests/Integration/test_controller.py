"""The controller process: kill -9 of the active one hands control to the standby, which then gives new topics
leaders; the killed one, restarted, stays standby. Brokers fence control requests from a stale controller epoch
and requests addressed to an older incarnation of themselves."""
import json
import signal
import time

import pytest

import wire
from conftest import wait_until


def active_controller(cluster):
    with cluster.zk() as zk:
        data, stat = zk.get("/controller")
    return json.loads(data)["brokerid"], stat


def controller_epoch(cluster) -> int:
    with cluster.zk() as zk:
        data, _ = zk.get("/controller_epoch")
    return int(data)


def create_topic(cluster, name, partitions, replication_factor=3, broker=1, assignments=None):
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap_one(broker))
    if assignments:
        topic = NewTopic(name, -1, -1, replica_assignments=assignments)
    else:
        topic = NewTopic(name, partitions, replication_factor)
    admin.create_topics([topic], timeout_ms=30_000)
    admin.close()


def leaders(cluster, topic, broker=1):
    meta = wire.metadata(*cluster.broker_address(broker), [topic])
    return {p: s["leader"] for p, s in meta["topics"].get(topic, {}).get("partitions", {}).items()}


def test_standby_takes_over_after_kill_9(whole_cluster):
    cluster = whole_cluster
    old_id, _ = active_controller(cluster)
    old_epoch = controller_epoch(cluster)
    cluster.kill_one(f"controller-{old_id}")  # SIGKILL: no resignation, the session must expire
    started = time.monotonic()
    new_id = wait_until(lambda: (c := active_controller(cluster)[0]) != old_id and c, 30,
                        "the standby controller to take over")
    print(f"failover to controller {new_id} in {time.monotonic() - started:.1f}s")
    assert controller_epoch(cluster) > old_epoch
    create_topic(cluster, "after-failover", 4, replication_factor=3)
    got = wait_until(lambda: (ls := leaders(cluster, "after-failover")) and len(ls) == 4
                     and all(x >= 0 for x in ls.values()) and ls, 30, "leaders for the new topic")
    assert set(got.values()) <= {1, 2, 3}
    # The killed controller comes back as a standby: /controller keeps naming the new one.
    _, stat_before = active_controller(cluster)
    cluster.start_one(f"controller-{old_id}")
    wait_until(lambda: wire_port_open(cluster.controller_port(old_id)), 30, "the restarted controller to listen")
    current, stat_after = active_controller(cluster)
    assert current == new_id
    assert stat_after.czxid == stat_before.czxid


def wire_port_open(port) -> bool:
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_stale_control_requests_are_fenced(whole_cluster):
    cluster = whole_cluster
    create_topic(cluster, "fencing", 1, replication_factor=1, assignments={0: [2]})
    wait_until(lambda: leaders(cluster, "fencing").get(0) == 2, 30, "a leader for the fencing topic")
    epoch = controller_epoch(cluster)
    host, port = cluster.internal_address(2)
    # A LeaderAndIsr from an older controller epoch: STALE_CONTROLLER_EPOCH (11).
    stale = wire.leader_and_isr_v1(epoch - 1, "fencing", 0, leader=3, leader_epoch=99, replicas=[2, 3],
                                   leader_host="127.0.0.1", leader_port=cluster.broker_internal_port(3))
    with wire.Connection(host, port) as c:
        assert wire.leader_and_isr_error(c.call(stale)) == 11
    # The current epoch but a broker epoch older than broker 2's registration: STALE_BROKER_EPOCH (77).
    with cluster.zk() as zk:
        _, registration = zk.get("/brokers/ids/2")
    old_incarnation = wire.leader_and_isr_v2(epoch, registration.czxid - 1, "fencing", 0, leader=3, leader_epoch=99,
                                             replicas=[2, 3], leader_host="127.0.0.1",
                                             leader_port=cluster.broker_internal_port(3))
    with wire.Connection(host, port) as c:
        assert wire.leader_and_isr_error(c.call(old_incarnation)) == 77
    # Control requests are not accepted on the client listener at all.
    with wire.Connection(*cluster.broker_address(2)) as c:
        c.sock.sendall(stale)
        assert c.is_closed_by_peer()
    # Nothing changed: broker 2 still leads and serves the partition.
    assert leaders(cluster, "fencing") == {0: 2}
    records = wire.record_batch([b"still mine"])
    assert wire.produce(*cluster.broker_address(2), "fencing", 0, records)[0] == 0


def test_admin_requests_for_the_controller_are_forwarded(whole_cluster):
    """ElectLeaders and ListPartitionReassignments reach the controller process through the broker."""
    import struct
    cluster = whole_cluster
    create_topic(cluster, "elect", 2, replication_factor=3)
    wait_until(lambda: all(l >= 0 for l in leaders(cluster, "elect").values()) and len(leaders(cluster, "elect")) == 2,
               30, "leaders for the topic")
    # ElectLeaders v0 (preferred): every partition already led by its preferred replica.
    body = struct.pack(">i", 1) + wire.string("elect") + wire.int32_array([0, 1]) + struct.pack(">i", 10_000)
    with wire.Connection(*cluster.broker_address(2)) as c:
        r = c.call(wire.request(43, 0, body))
    r.take(">i")  # throttle
    assert r.take(">i") == 1
    assert r.string() == "elect"
    errors = []
    for _ in range(r.take(">i")):
        _partition, error = r.take(">ih")
        r.string()
        errors.append(error)
    assert len(errors) == 2 and all(e in (0, 84) for e in errors)  # NONE or ELECTION_NOT_NEEDED
    # ListPartitionReassignments v0 (flexible): nothing in progress.
    frame = struct.pack(">hhi", 46, 0, 9) + wire.string("fjord-it") + b"\0" + struct.pack(">i", 10_000) + b"\0" + b"\0"
    with wire.Connection(*cluster.broker_address(3)) as c:
        r = c.call(struct.pack(">i", len(frame)) + frame)
    assert r.take(">b") == 0  # response header v1: no tagged fields
    r.take(">i")  # throttle
    assert r.take(">h") == 0
