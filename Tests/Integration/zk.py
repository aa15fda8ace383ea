"""A tiny read-only ZooKeeper client (the Jute wire protocol over one socket), enough for tests to look at the
cluster's state without a Python ZooKeeper library: get, children, exists."""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

OP_EXISTS, OP_GET_DATA, OP_GET_CHILDREN, OP_CLOSE = 3, 4, 8, -11
ERR_NO_NODE = -101


@dataclass
class Stat:
    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    data_length: int
    num_children: int
    pzxid: int

    FORMAT = ">qqqqiiiqiiq"
    SIZE = struct.calcsize(FORMAT)


class NoNode(Exception):
    pass


class ZooKeeper:
    def __init__(self, host: str, port: int, chroot: str = "", timeout: float = 5.0):
        self.chroot = chroot.rstrip("/")
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.xid = 0
        connect = struct.pack(">iqiqi", 0, 0, 10000, 0, 16) + b"\0" * 16 + b"\0"
        self._send(connect)
        self._recv()  # protocol version, timeout, session id, password

    def _send(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def _recv(self) -> bytes:
        size = struct.unpack(">i", self._exact(4))[0]
        return self._exact(size)

    def _exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("ZooKeeper closed the connection")
            out += chunk
        return out

    def _call(self, op: int, path: str) -> bytes:
        self.xid += 1
        full = (self.chroot + path) if path != "/" else (self.chroot or "/")
        encoded = full.encode()
        self._send(struct.pack(">ii", self.xid, op) + struct.pack(">i", len(encoded)) + encoded + b"\0")
        while True:
            reply = self._recv()
            xid, _zxid, err = struct.unpack(">iqi", reply[:16])
            if xid == self.xid:
                break  # skip notifications (xid -1) and pings
        if err == ERR_NO_NODE:
            raise NoNode(path)
        if err != 0:
            raise RuntimeError(f"ZooKeeper error {err} for {path}")
        return reply[16:]

    def get(self, path: str) -> tuple[bytes, Stat]:
        body = self._call(OP_GET_DATA, path)
        (length,) = struct.unpack(">i", body[:4])
        data = body[4:4 + max(length, 0)]
        stat = Stat(*struct.unpack(Stat.FORMAT, body[4 + max(length, 0):4 + max(length, 0) + Stat.SIZE]))
        return data, stat

    def exists(self, path: str) -> Stat | None:
        try:
            body = self._call(OP_EXISTS, path)
        except NoNode:
            return None
        return Stat(*struct.unpack(Stat.FORMAT, body[:Stat.SIZE]))

    def children(self, path: str) -> list[str]:
        body = self._call(OP_GET_CHILDREN, path)
        (count,) = struct.unpack(">i", body[:4])
        pos, names = 4, []
        for _ in range(count):
            (n,) = struct.unpack(">i", body[pos:pos + 4])
            names.append(body[pos + 4:pos + 4 + n].decode())
            pos += 4 + n
        return names

    def close(self) -> None:
        try:
            self.xid += 1
            self._send(struct.pack(">ii", self.xid, OP_CLOSE))
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
