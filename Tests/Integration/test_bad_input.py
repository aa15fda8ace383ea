"""Bad input against a running broker: each is answered with the Kafka error or a closed connection, only that
connection is affected, the broker keeps serving others, and nothing is appended."""
import os
import socket
import struct

import pytest

import wire
from conftest import wait_until

TOPIC = "bad-input"


@pytest.fixture(scope="module")
def target(cluster):
    """A one-partition topic and its leader's address, plus a healthy connection kept open across the tests."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap_one(1))
    admin.create_topics([NewTopic(TOPIC, 1, 1)], timeout_ms=30_000)
    admin.close()
    host, port = cluster.broker_address(1)
    meta = wait_until(lambda: (m := wire.metadata(host, port, [TOPIC]))["topics"][TOPIC]["partitions"].get(0, {})
                      .get("leader", -1) >= 0 and m, 30, "a leader for the test topic")
    leader = meta["topics"][TOPIC]["partitions"][0]["leader"]
    address = cluster.broker_address(leader)
    wait_until(lambda: wire.latest_offset(*address, TOPIC, 0) == (0, 0), 30, "the leader to serve the partition")
    healthy = wire.Connection(*address)
    yield address, healthy
    healthy.close()


def still_serving(target):
    """The broker answers on a new connection and on the long-lived one; the topic is unchanged."""
    address, healthy = target
    assert TOPIC in wire.metadata(*address, [TOPIC])["topics"]
    reader = healthy.call(wire.request(3, 1, struct.pack(">i", 0), correlation_id=7))
    assert reader.take(">i") >= 1  # brokers listed
    assert wire.latest_offset(*address, TOPIC, 0) == (0, 0)


def test_frame_over_the_size_limit_is_refused_before_reading(target):
    address, _ = target
    with wire.Connection(*address) as c:
        c.sock.sendall(struct.pack(">i", 104_857_601))  # socket.request.max.bytes + 1, no body sent
        assert c.is_closed_by_peer()
    still_serving(target)


def test_truncated_frame_is_dropped(target):
    address, _ = target
    with wire.Connection(*address) as c:
        c.sock.sendall(struct.pack(">i", 100) + b"\0\3\0\1")  # promises 100 bytes, sends 4, then ends
        c.sock.shutdown(socket.SHUT_WR)
        assert c.is_closed_by_peer()
    # A complete frame whose body is cut short: Metadata v1 claiming 1000 topics.
    with wire.Connection(*address) as c:
        c.sock.sendall(wire.request(3, 1, struct.pack(">i", 1000)))
        assert c.is_closed_by_peer()
    still_serving(target)


def test_garbage_bytes_close_the_connection(target):
    address, _ = target
    # Noise read as a frame size is negative, over socket.request.max.bytes or plausible; only the last makes the
    # broker wait for the rest of the frame (as Kafka does), so each kind is sent on purpose, not by chance.
    noise = os.urandom(4092)
    for size in (-1 - int.from_bytes(noise[:3], "big"), 104_857_601 + int.from_bytes(noise[:3], "big")):
        with wire.Connection(*address) as c:
            c.sock.sendall(struct.pack(">i", size) + noise)
            assert c.is_closed_by_peer(), size
    with wire.Connection(*address) as c:  # a whole frame of noise: api key 0x7Fxx is none of Kafka's
        c.sock.sendall(struct.pack(">i", len(noise)) + b"\x7f" + noise[1:])
        assert c.is_closed_by_peer()
    with wire.Connection(*address) as c:  # a plausible size, then noise
        c.sock.sendall(struct.pack(">i", 64) + bytes([0x7F] * 64))
        assert c.is_closed_by_peer()
    still_serving(target)


def test_unknown_api_key_closes_the_connection(target):
    address, _ = target
    with wire.Connection(*address) as c:
        c.sock.sendall(wire.request(200, 0, b""))
        assert c.is_closed_by_peer()
    with wire.Connection(*address) as c:  # Fjord's replica fetch key is refused on a client listener
        c.sock.sendall(wire.request(10_000, 0, b""))
        assert c.is_closed_by_peer()
    still_serving(target)


def test_unsupported_versions(target):
    address, _ = target
    records = wire.record_batch([b"never stored"])
    # Produce v2 is advertised (librdkafka needs minimum 0) but answered UNSUPPORTED_VERSION.
    with wire.Connection(*address) as c:
        reader = c.call(wire.produce_request(TOPIC, 0, records, version=2))
        reader.take(">i")
        reader.string()
        reader.take(">i")
        _index, error = reader.take(">ih")
        assert error == 35
    # Fetch v3: outside the served 4-11 range, answered in v3 format with UNSUPPORTED_VERSION.
    fetch_v3 = struct.pack(">iiii", -1, 100, 1, 1 << 20) + struct.pack(">i", 1) + wire.string(TOPIC)
    fetch_v3 += struct.pack(">i", 1) + struct.pack(">iqi", 0, 0, 1 << 20)
    with wire.Connection(*address) as c:
        reader = c.call(wire.request(1, 3, fetch_v3))
        reader.take(">i")  # throttle
        reader.take(">i")
        reader.string()
        reader.take(">i")
        _index, error = reader.take(">ih")
        assert error == 35
    # Metadata v13: no codec knows it; the connection is closed.
    with wire.Connection(*address) as c:
        c.sock.sendall(wire.request(3, 13, b"\0\0\0"))
        assert c.is_closed_by_peer()
    # ApiVersions v9 (flexible header): a v0 body with error 35 and ApiVersions' range; the connection stays.
    with wire.Connection(*address) as c:
        frame = struct.pack(">hhi", 18, 9, 3) + wire.string("x") + b"\0" + b"\0\0\0"
        reader = c.call(struct.pack(">i", len(frame)) + frame)
        assert reader.take(">h") == 35
        assert reader.take(">i") == 1 and reader.take(">hhh") == (18, 0, 3)
        reader = c.call(wire.request(18, 0, b""))
        assert reader.take(">h") == 0
    still_serving(target)


def test_corrupt_crc_is_refused_and_nothing_is_appended(target):
    address, _ = target
    batch = wire.record_batch([b"first", b"second"])
    batch[-1] ^= 0xFF  # a payload byte: the CRC-32C no longer matches
    assert wire.produce(*address, TOPIC, 0, batch) == (2, -1)  # CORRUPT_MESSAGE
    # A batch whose length field lies about its size.
    short = wire.record_batch([b"x"])
    struct.pack_into(">i", short, 8, len(short) + 100)
    error, _ = wire.produce(*address, TOPIC, 0, short)
    assert error in (2, 87)  # CORRUPT_MESSAGE or INVALID_RECORD
    still_serving(target)
