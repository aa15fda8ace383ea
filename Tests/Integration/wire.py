"""Hand-built Kafka requests for tests that must control every byte: fencing, bad input, produce to a non-leader.
All non-flexible versions (request header v1, response header v0)."""
from __future__ import annotations

import socket
import struct
import sys
from pathlib import Path

from kafka.record.default_records import DefaultRecordBatchBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent / "clients"))
from groups_wire import Reader, string  # noqa: E402  (the primitives every hand-built request here uses)


def int32_array(values) -> bytes:
    return struct.pack(">i", len(values)) + b"".join(struct.pack(">i", v) for v in values)


def request(api_key: int, version: int, body: bytes, correlation_id: int = 1, client_id: str = "fjord-it") -> bytes:
    payload = struct.pack(">hhi", api_key, version, correlation_id) + string(client_id) + body
    return struct.pack(">i", len(payload)) + payload


class Connection:
    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def call(self, frame: bytes) -> Reader:
        """Sends one request and returns a reader just past the response's correlation id."""
        self.sock.sendall(frame)
        size = struct.unpack(">i", self.exact(4))[0]
        reader = Reader(self.exact(size))
        reader.take(">i")
        return reader

    def exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("connection closed by the broker")
            out += chunk
        return out

    def is_closed_by_peer(self, timeout: float = 10.0) -> bool:
        """True when the broker closes the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Metadata v1 ---------------------------------------------------------------------------------------------------
def metadata(host: str, port: int, topics: list[str] | None = None) -> dict:
    """Metadata v1: {'brokers': {id: (host, port)}, 'controller': id, 'topics': {name: {'error': e,
    'partitions': {p: {'error', 'leader', 'replicas', 'isr'}}}}}."""
    body = struct.pack(">i", -1) if topics is None else struct.pack(">i", len(topics)) + b"".join(map(string, topics))
    with Connection(host, port) as c:
        r = c.call(request(3, 1, body))
    brokers = {}
    for _ in range(r.take(">i")):
        node = r.take(">i")
        bhost = r.string()
        bport = r.take(">i")
        r.string()  # rack
        brokers[node] = (bhost, bport)
    controller = r.take(">i")
    result = {"brokers": brokers, "controller": controller, "topics": {}}
    for _ in range(r.take(">i")):
        error = r.take(">h")
        name = r.string()
        r.take(">b")  # is_internal
        partitions = {}
        for _ in range(r.take(">i")):
            perror, index, leader = r.take(">hii")
            replicas = r.int32_array()
            isr = r.int32_array()
            partitions[index] = {"error": perror, "leader": leader, "replicas": replicas, "isr": isr}
        result["topics"][name] = {"error": error, "partitions": partitions}
    return result


# Produce v3 and ListOffsets v1 ----------------------------------------------------------------------------------
def record_batch(values: list[bytes], key: bytes = b"k") -> bytearray:
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=0, is_transactional=False, producer_id=-1, producer_epoch=-1, base_sequence=-1,
        batch_size=1 << 20)
    for offset, value in enumerate(values):
        builder.append(offset, timestamp=1_700_000_000_000 + offset, key=key, value=value, headers=[])
    return builder.build()


def produce_request(topic: str, partition: int, records: bytes, acks: int = 1, version: int = 3) -> bytes:
    body = (string(None) if version >= 3 else b"") + struct.pack(">hi", acks, 10_000)
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
    body += struct.pack(">ii", partition, len(records)) + bytes(records)
    return request(0, version, body)


def produce(host: str, port: int, topic: str, partition: int, records: bytes, acks: int = 1) -> tuple[int, int]:
    """(error code, base offset) of a Produce v3."""
    with Connection(host, port) as c:
        r = c.call(produce_request(topic, partition, records, acks))
    r.take(">i")  # topics
    r.string()
    r.take(">i")  # partitions
    _index, error, base_offset = r.take(">ihq")
    return error, base_offset


def latest_offset(host: str, port: int, topic: str, partition: int, timestamp: int = -1) -> tuple[int, int]:
    """(error code, offset) of ListOffsets v1."""
    body = struct.pack(">i", -1) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
    body += struct.pack(">iq", partition, timestamp)
    with Connection(host, port) as c:
        r = c.call(request(2, 1, body))
    r.take(">i")
    r.string()
    r.take(">i")
    _index, error, _timestamp, offset = r.take(">ihqq")
    return error, offset


# LeaderAndIsr (the controller's request, sent by hand to test fencing) -----------------------------------------
def leader_and_isr_v1(controller_epoch: int, topic: str, partition: int, leader: int, leader_epoch: int,
                      replicas: list[int], leader_host: str, leader_port: int) -> bytes:
    state = string(topic) + struct.pack(">iiii", partition, controller_epoch, leader, leader_epoch)
    state += int32_array(replicas) + struct.pack(">i", 0) + int32_array(replicas) + b"\0"
    body = struct.pack(">ii", 999, controller_epoch) + struct.pack(">i", 1) + state
    body += struct.pack(">i", 1) + struct.pack(">i", leader) + string(leader_host) + struct.pack(">i", leader_port)
    return request(4, 1, body)


def leader_and_isr_v2(controller_epoch: int, broker_epoch: int, topic: str, partition: int, leader: int,
                      leader_epoch: int, replicas: list[int], leader_host: str, leader_port: int) -> bytes:
    state = struct.pack(">iiii", partition, controller_epoch, leader, leader_epoch)
    state += int32_array(replicas) + struct.pack(">i", 0) + int32_array(replicas) + b"\0"
    body = struct.pack(">iiq", 999, controller_epoch, broker_epoch)
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1) + state
    body += struct.pack(">i", 1) + struct.pack(">i", leader) + string(leader_host) + struct.pack(">i", leader_port)
    return request(4, 2, body)


def leader_and_isr_error(reader: Reader) -> int:
    """The top-level error code of a LeaderAndIsr v1/v2 response."""
    return reader.take(">h")
