"""A read-only ZooKeeper client over one socket (Jute wire format): getData and getChildren, enough for fault tests
to read the cluster's source of truth — partition state, broker registrations, the active controller — without a
Python ZooKeeper library. Each call opens, uses and closes its own session, so a test never holds a session that
could outlive the ZooKeeper server it talks to."""
from __future__ import annotations

import json
import socket
import struct

_GET_DATA, _GET_CHILDREN, _CLOSE_SESSION = 4, 8, -11
_NO_NODE = -101
_STAT = struct.Struct(">qqqqiiiqiiq")  # czxid mzxid ctime mtime version cversion aversion owner dataLen children pzxid


class NoNode(Exception):
    pass


class ZooKeeperReader:
    def __init__(self, port: int, chroot: str = "/fjord", host: str = "127.0.0.1", timeout: float = 3.0):
        self.chroot = chroot.rstrip("/")
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.xid = 0
        # ConnectRequest: protocol version, last zxid seen, session timeout ms, session id, password (16 bytes).
        self._write(struct.pack(">iqiqi", 0, 0, 4000, 0, 16) + bytes(16) + b"\x00")
        self._read()

    def _write(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def _read(self) -> bytes:
        (size,) = struct.unpack(">i", self._exact(4))
        return self._exact(size)

    def _exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            part = self.sock.recv(n - len(buf))
            if not part:
                raise ConnectionError("ZooKeeper closed the connection")
            buf += part
        return bytes(buf)

    def _request(self, op: int, path: str) -> bytes:
        self.xid += 1
        full = (self.chroot + path).encode()
        self._write(struct.pack(">ii", self.xid, op) + struct.pack(">i", len(full)) + full + b"\x00")
        for _ in range(1000):  # skip watch notifications and pings; bounded
            reply = self._read()
            xid, _zxid, err = struct.unpack_from(">iqi", reply)
            if xid == self.xid:
                if err == _NO_NODE:
                    raise NoNode(path)
                if err != 0:
                    raise RuntimeError(f"ZooKeeper error {err} on {path}")
                return reply[16:]
        raise RuntimeError("no ZooKeeper reply")

    def get(self, path: str) -> tuple[bytes, int, int]:
        """(data, czxid, version)."""
        body = self._request(_GET_DATA, path)
        (length,) = struct.unpack_from(">i", body)
        data = body[4:4 + max(length, 0)]
        stat = _STAT.unpack_from(body, 4 + max(length, 0))
        return data, stat[0], stat[4]

    def children(self, path: str) -> list[str]:
        body = self._request(_GET_CHILDREN, path)
        (count,) = struct.unpack_from(">i", body)
        pos, names = 4, []
        for _ in range(count):
            (n,) = struct.unpack_from(">i", body, pos)
            names.append(body[pos + 4:pos + 4 + n].decode())
            pos += 4 + n
        return names

    def close(self) -> None:
        try:
            self.xid += 1
            self._write(struct.pack(">ii", self.xid, _CLOSE_SESSION))
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def partition_states(port: int, topic: str) -> dict[int, dict]:
    """{partition: {'leader', 'leader_epoch', 'isr', 'version'}} from /brokers/topics/<t>/partitions/<p>/state."""
    states = {}
    with ZooKeeperReader(port) as zk:
        for name in zk.children(f"/brokers/topics/{topic}/partitions"):
            try:
                data, _czxid, version = zk.get(f"/brokers/topics/{topic}/partitions/{name}/state")
            except NoNode:
                continue
            state = json.loads(data)
            state["version"] = version
            states[int(name)] = state
    return states


def assignment(port: int, topic: str) -> dict[int, list[int]]:
    with ZooKeeperReader(port) as zk:
        data, _, _ = zk.get(f"/brokers/topics/{topic}")
    return {int(p): replicas for p, replicas in json.loads(data)["partitions"].items()}


def live_brokers(port: int) -> dict[int, int]:
    """{broker id: broker epoch (czxid of its registration)}."""
    with ZooKeeperReader(port) as zk:
        result = {}
        for name in zk.children("/brokers/ids"):
            try:
                result[int(name)] = zk.get(f"/brokers/ids/{name}")[1]
            except NoNode:
                pass
        return result


def active_controller(port: int) -> int | None:
    with ZooKeeperReader(port) as zk:
        try:
            data, _, _ = zk.get("/controller")
        except NoNode:
            return None
    return int(json.loads(data)["brokerid"])
