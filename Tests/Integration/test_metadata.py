"""Metadata as clients see it: every broker answers with all brokers on the client's listener, reports the lowest
live broker as controller (PROFILE trap 8), and with auto.create.topics.enable off leaves unknown topics unknown
even when the request allows creation (trap 9); a listener on `localhost` answers on both loopbacks."""
import socket
import struct

import pytest

import wire


def test_every_broker_reports_all_brokers_and_the_lowest_as_controller(cluster):
    for broker in cluster.broker_ids:
        meta = wire.metadata(*cluster.broker_address(broker), [])
        assert sorted(meta["brokers"]) == [1, 2, 3]
        assert meta["brokers"][2] == ("localhost", cluster.broker_port(2))
        assert meta["controller"] == 1


def test_unknown_topics_stay_unknown_without_auto_creation(cluster):
    host, port = cluster.broker_address(2)
    # Metadata v4 with allow_auto_topic_creation = true.
    body = struct.pack(">i", 1) + wire.string("never-created") + b"\x01"
    with wire.Connection(host, port) as c:
        r = c.call(wire.request(3, 4, body))
    r.take(">i")  # throttle
    for _ in range(r.take(">i")):
        r.take(">i"), r.string(), r.take(">i"), r.string()
    r.string()  # cluster id
    r.take(">i")  # controller
    assert r.take(">i") == 1
    assert r.take(">h") == 3  # UNKNOWN_TOPIC_OR_PARTITION
    assert r.string() == "never-created"
    with cluster.zk() as zk:
        assert zk.exists("/brokers/topics/never-created") is None


def test_a_localhost_listener_answers_on_both_loopbacks(cluster):
    """Resolvers that list ::1 first for localhost (Debian's default /etc/hosts) send clients there first; the
    EXTERNAL listener (`localhost`) must answer on ::1 as on 127.0.0.1 rather than refuse."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("this host has no IPv6 loopback")
    for broker in cluster.broker_ids:
        for host in ("127.0.0.1", "::1"):
            meta = wire.metadata(host, cluster.broker_port(broker), [])
            assert sorted(meta["brokers"]) == [1, 2, 3], (host, broker)
