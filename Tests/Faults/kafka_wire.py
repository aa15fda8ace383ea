"""Just enough of the Kafka wire protocol, written by hand, for fault tests that must see exactly what one broker
answers on one connection: a magic-v2 record batch encoder (CRC-32C included), Produce v7, Metadata v1 and
ListOffsets v1 and v4. Non-flexible versions only (request header v1, response header v0)."""
from __future__ import annotations

import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Integration" / "clients"))
from groups_wire import Reader, string  # noqa: E402  (shared request primitives)

# Error codes the tests name.
NONE = 0
OFFSET_OUT_OF_RANGE = 1
NOT_LEADER_OR_FOLLOWER = 6
REQUEST_TIMED_OUT = 7
NOT_ENOUGH_REPLICAS = 19
NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20
ERROR_NAMES = {0: "NONE", 1: "OFFSET_OUT_OF_RANGE", 3: "UNKNOWN_TOPIC_OR_PARTITION", 5: "LEADER_NOT_AVAILABLE",
               6: "NOT_LEADER_OR_FOLLOWER", 7: "REQUEST_TIMED_OUT", 19: "NOT_ENOUGH_REPLICAS",
               20: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", 56: "KAFKA_STORAGE_ERROR", 74: "FENCED_LEADER_EPOCH",
               75: "UNKNOWN_LEADER_EPOCH"}


def error_name(code: int) -> str:
    return ERROR_NAMES.get(code, f"error {code}")


# CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table driven -------------------------------------------
def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# Record batch v2 -------------------------------------------------------------------------------------------------
def varint(value: int) -> bytes:
    """Zig-zag varint (Kafka's signed varint/varlong in records)."""
    z = (value << 1) ^ (value >> 63)
    z &= (1 << 64) - 1
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _record(offset_delta: int, timestamp_delta: int, key: bytes | None, value: bytes) -> bytes:
    body = b"\x00" + varint(timestamp_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(len(value)) + value + varint(0)  # no headers
    return varint(len(body)) + body


def record_batch(values: list[bytes], key: bytes | None = None, timestamp_ms: int | None = None,
                 producer_id: int = -1, producer_epoch: int = -1, base_sequence: int = -1) -> bytes:
    """An uncompressed magic-v2 batch of `values` (base offset 0, leader epoch -1: the leader patches both)."""
    if not values:
        raise ValueError("a batch needs at least one record")
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    records = b"".join(_record(i, 0, key, v) for i, v in enumerate(values))
    # From attributes to the end: what the CRC covers.
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, ts, ts, producer_id, producer_epoch, base_sequence,
                            len(values)) + records
    crc = crc32c(after_crc)
    batch_length = 4 + 1 + 4 + len(after_crc)  # leader epoch, magic, crc, rest
    return struct.pack(">qiibI", 0, batch_length, -1, 2, crc) + after_crc


def decode_record_values(batch: bytes) -> list[bytes]:
    """The record values of one uncompressed v2 batch (used by tests to read a segment's tail)."""
    count = struct.unpack_from(">i", batch, 57)[0]
    pos = 61
    values = []

    def read_varint() -> int:
        nonlocal pos
        shift = result = 0
        while True:
            b = batch[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
        return (result >> 1) ^ -(result & 1)

    for _ in range(count):
        length = read_varint()
        end = pos + length
        pos += 1  # attributes
        read_varint()
        read_varint()
        klen = read_varint()
        pos += max(klen, 0)
        vlen = read_varint()
        values.append(bytes(batch[pos:pos + vlen]) if vlen >= 0 else b"")
        pos = end
    return values


# Framing -----------------------------------------------------------------------------------------------------------
def request(api_key: int, version: int, body: bytes, correlation_id: int, client_id: str = "fjord-faults") -> bytes:
    payload = struct.pack(">hhi", api_key, version, correlation_id) + string(client_id) + body
    return struct.pack(">i", len(payload)) + payload


class Connection:
    """One TCP connection to a broker: requests can be sent and their responses read separately, which lets a test
    put a request into the socket of a stopped process and read the answer after it resumes."""

    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.next_correlation = 1

    def send(self, api_key: int, version: int, body: bytes) -> int:
        correlation = self.next_correlation
        self.next_correlation += 1
        self.sock.sendall(request(api_key, version, body, correlation))
        return correlation

    def receive(self, correlation: int, timeout: float) -> Reader:
        """The response to `correlation` (responses arrive in order). Raises socket.timeout or ConnectionError."""
        self.sock.settimeout(timeout)
        while True:
            size = struct.unpack(">i", self._exact(4))[0]
            reader = Reader(self._exact(size))
            if reader.take(">i") == correlation:
                return reader

    def call(self, api_key: int, version: int, body: bytes, timeout: float = 10.0) -> Reader:
        return self.receive(self.send(api_key, version, body), timeout)

    def _exact(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("connection closed by the broker")
            out += chunk
        return bytes(out)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Produce v7 ------------------------------------------------------------------------------------------------------
def produce_body(topic: str, partition: int, batch: bytes, acks: int = -1, timeout_ms: int = 5000) -> bytes:
    body = string(None) + struct.pack(">hi", acks, timeout_ms)
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
    return body + struct.pack(">ii", partition, len(batch)) + batch


def produce_result(reader: Reader) -> tuple[int, int]:
    """(error code, base offset) of the single partition of a Produce v7 response."""
    reader.take(">i")  # topics
    reader.string()
    reader.take(">i")  # partitions
    _index, error, base_offset = reader.take(">ihq")
    return error, base_offset


def produce(host: str, port: int, topic: str, partition: int, batch: bytes, acks: int = -1,
            timeout_ms: int = 5000, socket_timeout: float | None = None) -> tuple[int, int]:
    """One Produce v7 on a fresh connection: (error code, base offset)."""
    with Connection(host, port, timeout=2.0) as c:
        reader = c.call(0, 7, produce_body(topic, partition, batch, acks, timeout_ms),
                        timeout=socket_timeout or timeout_ms / 1000 + 5)
    return produce_result(reader)


# Metadata v1 -----------------------------------------------------------------------------------------------------
def metadata(host: str, port: int, topics: list[str] | None = None, timeout: float = 3.0) -> dict:
    """{'brokers': {id: (host, port)}, 'topics': {name: {p: {'error', 'leader', 'replicas', 'isr'}}}}."""
    body = struct.pack(">i", -1) if topics is None else struct.pack(">i", len(topics)) + b"".join(map(string, topics))
    with Connection(host, port, timeout=timeout) as c:
        r = c.call(3, 1, body, timeout=timeout)
    brokers = {}
    for _ in range(r.take(">i")):
        node = r.take(">i")
        bhost = r.string()
        bport = r.take(">i")
        r.string()  # rack
        brokers[node] = (bhost, bport)
    r.take(">i")  # controller id
    result: dict = {"brokers": brokers, "topics": {}}
    for _ in range(r.take(">i")):
        r.take(">h")
        name = r.string()
        r.take(">b")
        partitions = {}
        for _ in range(r.take(">i")):
            perror, index, leader = r.take(">hii")
            replicas = r.int32_array()
            isr = r.int32_array()
            partitions[index] = {"error": perror, "leader": leader, "replicas": replicas, "isr": isr}
        result["topics"][name] = partitions
    return result


# ListOffsets v1 --------------------------------------------------------------------------------------------------
def list_offset(host: str, port: int, topic: str, partition: int, timestamp: int = -1,
                timeout: float = 3.0) -> tuple[int, int]:
    """(error code, offset); timestamp -1 asks for the latest offset, which for a leader is its high watermark."""
    body = struct.pack(">i", -1) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
    body += struct.pack(">iq", partition, timestamp)
    with Connection(host, port, timeout=timeout) as c:
        r = c.call(2, 1, body, timeout=timeout)
    r.take(">i")
    r.string()
    r.take(">i")
    _index, error, _ts, offset = r.take(">ihqq")
    return error, offset


# ListOffsets v4 (with the current leader epoch) ------------------------------------------------------------------
def list_offset_in_epoch(host: str, port: int, topic: str, partition: int, current_leader_epoch: int,
                         timestamp: int = -1, timeout: float = 3.0) -> tuple[int, int]:
    """(error code, offset) of ListOffsets v4 carrying `current_leader_epoch`: NONE only from a leader that has
    taken up exactly that epoch (an older one answers UNKNOWN_LEADER_EPOCH, a newer one FENCED_LEADER_EPOCH)."""
    body = struct.pack(">ib", -1, 0) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
    body += struct.pack(">iiq", partition, current_leader_epoch, timestamp)
    with Connection(host, port, timeout=timeout) as c:
        r = c.call(2, 4, body, timeout=timeout)
    r.take(">i")  # throttle time
    r.take(">i")
    r.string()
    r.take(">i")
    _index, error, _ts, offset, _epoch = r.take(">ihqqi")
    return error, offset
