"""The group APIs built by hand, for tests and the benchmark that must see exact error codes or drive members with
precise timing: FindCoordinator v1, JoinGroup v5, SyncGroup v3, Heartbeat v3, LeaveGroup v3, OffsetCommit v7,
OffsetFetch v5, ListGroups v2, DescribeGroups v4, ListOffsets v1 and Fetch v4 (all non-flexible: request header v1,
response header v0), plus the consumer protocol's subscription and assignment (v0).

Standard library only, so every virtualenv (kafka-python 2.0.2, 3.x) and the benchmark can import it."""
from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field

ERRORS = {
    0: "NONE", 1: "OFFSET_OUT_OF_RANGE", 3: "UNKNOWN_TOPIC_OR_PARTITION", 6: "NOT_LEADER_OR_FOLLOWER",
    12: "OFFSET_METADATA_TOO_LARGE", 14: "COORDINATOR_LOAD_IN_PROGRESS", 15: "COORDINATOR_NOT_AVAILABLE",
    16: "NOT_COORDINATOR", 22: "ILLEGAL_GENERATION", 23: "INCONSISTENT_GROUP_PROTOCOL", 24: "INVALID_GROUP_ID",
    25: "UNKNOWN_MEMBER_ID", 26: "INVALID_SESSION_TIMEOUT", 27: "REBALANCE_IN_PROGRESS",
    28: "INVALID_COMMIT_OFFSET_SIZE", 42: "INVALID_REQUEST", 68: "NON_EMPTY_GROUP", 69: "GROUP_ID_NOT_FOUND",
    79: "MEMBER_ID_REQUIRED", 81: "GROUP_MAX_SIZE_REACHED", 82: "FENCED_INSTANCE_ID",
}
NONE, OFFSET_OUT_OF_RANGE, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE = 0, 1, 16, 15
ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, MEMBER_ID_REQUIRED = 22, 25, 27, 79
FENCED_INSTANCE_ID, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND = 82, 68, 69


def error_name(code: int) -> str:
    return ERRORS.get(code, f"ERROR_{code}")


# Encoding ----------------------------------------------------------------------------------------------------------
def string(s: str | None) -> bytes:
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def bytes_(b: bytes | None) -> bytes:
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b


def array(items: list, encode) -> bytes:
    return struct.pack(">i", len(items)) + b"".join(encode(i) for i in items)


def int32s(values) -> bytes:
    return array(list(values), lambda v: struct.pack(">i", v))


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def bytes_(self) -> bytes | None:
        n = self.take(">i")
        if n < 0:
            return None
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def array(self, decode) -> list:
        n = self.take(">i")
        return [] if n < 0 else [decode(self) for _ in range(n)]

    def int32_array(self) -> list[int]:
        return self.array(lambda r: r.take(">i"))


# Connection --------------------------------------------------------------------------------------------------------
class Connection:
    """One socket; `send` pipelines requests, `receive` reads the answer to one (answers come in request order)."""

    def __init__(self, host: str, port: int, timeout: float = 10.0, client_id: str = "fjord-groups"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client_id = client_id
        self.correlation = 0
        self.lock = threading.Lock()

    def send(self, api_key: int, version: int, body: bytes) -> int:
        self.correlation += 1
        payload = struct.pack(">hhi", api_key, version, self.correlation) + string(self.client_id) + body
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)
        return self.correlation

    def receive(self, correlation: int, timeout: float | None = None) -> Reader:
        if timeout is not None:
            self.sock.settimeout(timeout)
        size = struct.unpack(">i", self._exact(4))[0]
        reader = Reader(self._exact(size))
        got = reader.take(">i")
        if got != correlation:
            raise ConnectionError(f"correlation id {got}, expected {correlation}")
        return reader

    def call(self, api_key: int, version: int, body: bytes, timeout: float = 10.0) -> Reader:
        with self.lock:
            return self.receive(self.send(api_key, version, body), timeout)

    def _exact(self, n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = self.sock.recv(n - got)
            if not chunk:
                raise ConnectionError("connection closed by the broker")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Consumer protocol (embedded in JoinGroup/SyncGroup) ----------------------------------------------------------------
def subscription(topics: list[str], user_data: bytes | None = None) -> bytes:
    return struct.pack(">h", 0) + array(topics, string) + bytes_(user_data)


def parse_subscription(data: bytes) -> list[str]:
    r = Reader(data)
    r.take(">h")
    return r.array(lambda r: r.string())


def assignment(partitions: dict[str, list[int]]) -> bytes:
    return (struct.pack(">h", 0) + array(sorted(partitions), lambda t: string(t) + int32s(partitions[t]))
            + bytes_(None))


def parse_assignment(data: bytes | None) -> dict[str, list[int]]:
    if not data:
        return {}
    r = Reader(data)
    r.take(">h")
    out = {}
    for topic, parts in r.array(lambda r: (r.string(), r.array(lambda r: r.take(">i")))):
        out[topic] = sorted(parts)
    return out


# Requests ----------------------------------------------------------------------------------------------------------
def find_coordinator(conn: Connection, group: str) -> tuple[int, int, str, int]:
    """(error, node id, host, port)."""
    r = conn.call(10, 1, string(group) + struct.pack(">b", 0))
    r.take(">i")
    error = r.take(">h")
    r.string()
    node = r.take(">i")
    host = r.string()
    port = r.take(">i")
    return error, node, host, port


@dataclass
class JoinResult:
    error: int
    generation: int
    protocol: str | None
    leader: str
    member_id: str
    members: list[tuple[str, str | None, bytes]] = field(default_factory=list)


def join_group(conn: Connection, group: str, member_id: str, protocols: list[tuple[str, bytes]],
               session_ms: int = 10_000, rebalance_ms: int = 30_000, instance_id: str | None = None,
               protocol_type: str = "consumer", timeout: float = 60.0) -> JoinResult:
    body = (string(group) + struct.pack(">ii", session_ms, rebalance_ms) + string(member_id) + string(instance_id)
            + string(protocol_type) + array(protocols, lambda p: string(p[0]) + bytes_(p[1])))
    r = conn.call(11, 5, body, timeout)
    r.take(">i")
    error, generation = r.take(">hi")
    protocol = r.string()
    leader = r.string()
    member = r.string()
    members = r.array(lambda r: (r.string(), r.string(), r.bytes_()))
    return JoinResult(error, generation, protocol, leader, member, members)


def sync_group(conn: Connection, group: str, generation: int, member_id: str,
               assignments: dict[str, bytes] | None = None, instance_id: str | None = None,
               timeout: float = 60.0) -> tuple[int, bytes | None]:
    items = list((assignments or {}).items())
    body = (string(group) + struct.pack(">i", generation) + string(member_id) + string(instance_id)
            + array(items, lambda a: string(a[0]) + bytes_(a[1])))
    r = conn.call(14, 3, body, timeout)
    r.take(">i")
    error = r.take(">h")
    return error, r.bytes_()


def heartbeat(conn: Connection, group: str, generation: int, member_id: str, instance_id: str | None = None) -> int:
    body = string(group) + struct.pack(">i", generation) + string(member_id) + string(instance_id)
    r = conn.call(12, 3, body)
    r.take(">i")
    return r.take(">h")


def leave_group(conn: Connection, group: str, members: list[tuple[str, str | None]]) -> tuple[int, list[int]]:
    body = string(group) + array(members, lambda m: string(m[0]) + string(m[1]))
    r = conn.call(13, 3, body)
    r.take(">i")
    error = r.take(">h")
    return error, [e for _, _, e in r.array(lambda r: (r.string(), r.string(), r.take(">h")))]


def offset_commit_body(group: str, generation: int, member_id: str, offsets: dict[tuple[str, int], int],
                       metadata: str | None = "", instance_id: str | None = None) -> bytes:
    topics: dict[str, list[tuple[int, int]]] = {}
    for (topic, partition), offset in sorted(offsets.items()):
        topics.setdefault(topic, []).append((partition, offset))
    return (string(group) + struct.pack(">i", generation) + string(member_id) + string(instance_id)
            + array(list(topics.items()), lambda t: string(t[0]) + array(
                t[1], lambda p: struct.pack(">iqi", p[0], p[1], -1) + string(metadata))))


def offset_commit_result(r: Reader) -> dict[tuple[str, int], int]:
    r.take(">i")
    out = {}
    for topic, parts in r.array(lambda r: (r.string(), r.array(lambda r: r.take(">ih")))):
        for partition, error in parts:
            out[(topic, partition)] = error
    return out


def offset_commit(conn: Connection, group: str, generation: int, member_id: str,
                  offsets: dict[tuple[str, int], int], metadata: str | None = "",
                  instance_id: str | None = None) -> dict[tuple[str, int], int]:
    """{(topic, partition): error}."""
    body = offset_commit_body(group, generation, member_id, offsets, metadata, instance_id)
    return offset_commit_result(conn.call(8, 7, body))


def offset_fetch(conn: Connection, group: str, partitions: dict[str, list[int]] | None = None
                 ) -> tuple[int, dict[tuple[str, int], tuple[int, str | None, int]]]:
    """(group error, {(topic, partition): (offset, metadata, error)}); `partitions` None asks for all."""
    if partitions is None:
        topics = struct.pack(">i", -1)
    else:
        topics = array(sorted(partitions.items()), lambda t: string(t[0]) + int32s(t[1]))
    r = conn.call(9, 5, string(group) + topics)
    r.take(">i")
    out = {}
    for topic, parts in r.array(lambda r: (r.string(), r.array(lambda r: (
            r.take(">iqi"), r.string(), r.take(">h"))))):
        for (partition, offset, _epoch), metadata, error in parts:
            out[(topic, partition)] = (offset, metadata, error)
    return r.take(">h"), out


def list_groups(conn: Connection) -> tuple[int, list[tuple[str, str]]]:
    r = conn.call(16, 2, b"")
    r.take(">i")
    error = r.take(">h")
    return error, r.array(lambda r: (r.string(), r.string()))


@dataclass
class GroupDescription:
    error: int
    group: str
    state: str
    protocol_type: str
    protocol: str
    members: list[dict]


def describe_groups(conn: Connection, groups: list[str]) -> list[GroupDescription]:
    r = conn.call(15, 4, array(groups, string) + struct.pack(">b", 0))
    r.take(">i")

    def member(r: Reader) -> dict:
        return {"member_id": r.string(), "instance_id": r.string(), "client_id": r.string(),
                "client_host": r.string(), "metadata": r.bytes_(), "assignment": r.bytes_()}

    def group(r: Reader) -> GroupDescription:
        error = r.take(">h")
        g = GroupDescription(error, r.string(), r.string(), r.string(), r.string(), r.array(member))
        r.take(">i")  # authorized operations
        return g

    return r.array(group)


def list_offset(conn: Connection, topic: str, partition: int, timestamp: int = -1) -> tuple[int, int]:
    """ListOffsets v1: (error, offset); timestamp -1 is the end (high watermark), -2 the start."""
    body = struct.pack(">i", -1) + array([topic], lambda t: string(t) + array(
        [partition], lambda p: struct.pack(">iq", p, timestamp)))
    r = conn.call(2, 1, body)
    r.take(">i")  # topics
    r.string()
    r.take(">i")
    _, error, _, offset = r.take(">ihqq")
    return error, offset


def fetch_error(conn: Connection, topic: str, partition: int, offset: int) -> int:
    """Fetch v4 of one partition at `offset`: the partition's error code."""
    partitions = array([partition], lambda p: struct.pack(">iqi", p, offset, 1 << 20))
    body = struct.pack(">iiiib", -1, 100, 1, 1 << 20, 0) + array([topic], lambda t: string(t) + partitions)
    r = conn.call(1, 4, body)
    r.take(">i")  # throttle
    r.take(">i")  # topics
    r.string()
    r.take(">i")  # partitions
    _, error = r.take(">ih")
    return error


def coordinator_of(bootstrap: list[tuple[str, int]], group: str, timeout: float = 5.0) -> int | None:
    """The coordinator's node id as the first answering broker reports it, or None."""
    for host, port in bootstrap:
        try:
            with Connection(host, port, timeout=timeout) as c:
                error, node, _, _ = find_coordinator(c, group)
            if error == NONE:
                return node
        except OSError:
            continue
    return None


def partition_leaders(conn: Connection, topic: str) -> dict[int, int]:
    """Metadata v1 for one topic: {partition: leader} as this broker's metadata cache has it ({} if unknown)."""
    r = conn.call(3, 1, array([topic], string))
    for _ in range(r.take(">i")):  # brokers
        r.take(">i")
        r.string()
        r.take(">i")
        r.string()
    r.take(">i")  # controller
    leaders: dict[int, int] = {}
    for _ in range(r.take(">i")):
        error = r.take(">h")
        name = r.string()
        r.take(">b")
        for _ in range(r.take(">i")):
            _, index, leader = r.take(">hii")
            r.array(lambda r: r.take(">i"))
            r.array(lambda r: r.take(">i"))
            if name == topic and error == NONE:
                leaders[index] = leader
    return leaders
