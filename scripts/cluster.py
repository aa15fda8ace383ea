#!/usr/bin/env python3
"""Runs the Fjord topology as local processes: ZooKeeper, two controllers, three brokers.

`make cluster` calls `cluster.py start`; integration tests import this module and run their own copy of the same
topology in another directory and port range. Every process's pid is in <dir>/<name>.pid; everything is stopped by
pid. Per-process settings are passed as KAFKA_* environment variables over the shared files in deploy/config/, the
same way docker-compose.yml configures its containers.

Usage: cluster.py start [NAME]|stop|status|kill NAME [--signal N]|restart NAME [--dir DIR] [--port-offset N] [--bin DIR]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZK_CLASSPATH = ":".join(
    [
        "/usr/share/java/zookeeper.jar",
        "/usr/share/java/zookeeper-jute.jar",
        "/usr/share/java/slf4j-api.jar",
        "/usr/share/java/slf4j-log4j12.jar",
        "/usr/share/java/log4j-1.2.jar",
    ]
)


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    ports: list[int] = field(default_factory=list)


class Cluster:
    """One topology: where it lives on disk, which ports it uses, and how to start/stop each process."""

    def __init__(self, directory: Path, port_offset: int = 0, bin_dir: Path | None = None,
                 brokers: int = 3, controllers: int = 2, extra_broker_env: dict[str, str] | None = None,
                 extra_controller_env: dict[str, str] | None = None, zk_tick_ms: int = 500):
        self.dir = Path(directory).resolve()
        self.offset = port_offset
        self.bin = Path(bin_dir) if bin_dir else ROOT / ".build" / "debug"
        self.broker_ids = list(range(1, brokers + 1))
        self.controller_ids = list(range(1, controllers + 1))
        self.extra_broker_env = extra_broker_env or {}
        self.extra_controller_env = extra_controller_env or {}
        self.zk_tick_ms = zk_tick_ms

    # Ports -------------------------------------------------------------------------------------------------------
    @property
    def zk_port(self) -> int:
        return 2181 + self.offset

    def broker_port(self, broker_id: int) -> int:
        return 9091 + broker_id + self.offset

    def broker_internal_port(self, broker_id: int) -> int:
        return 19091 + broker_id + self.offset

    def broker_metrics_port(self, broker_id: int) -> int:
        return 9300 + broker_id + self.offset

    def controller_port(self, controller_id: int) -> int:
        return 9189 + controller_id + self.offset

    def controller_metrics_port(self, controller_id: int) -> int:
        return 9310 + controller_id + self.offset

    @property
    def zookeeper_connect(self) -> str:
        return f"127.0.0.1:{self.zk_port}/fjord"

    @property
    def bootstrap(self) -> str:
        return ",".join(f"localhost:{self.broker_port(b)}" for b in self.broker_ids)

    def bootstrap_one(self, broker_id: int = 1) -> str:
        return f"localhost:{self.broker_port(broker_id)}"

    # Process definitions -----------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """The topology's processes, plus brokers added by hand (`cluster.py start broker-4`) that have a pid file."""
        added = sorted((int(f.stem.split("-", 1)[1]) for f in self.dir.glob("broker-*.pid")
                        if f.stem.split("-", 1)[1].isdigit()
                        and int(f.stem.split("-", 1)[1]) not in self.broker_ids))
        return (["zookeeper"] + [f"controller-{c}" for c in self.controller_ids]
                + [f"broker-{b}" for b in self.broker_ids + added])

    def proc(self, name: str) -> Proc:
        if name == "zookeeper":
            zdir = self.dir / "zookeeper"
            return Proc(
                name,
                ["java", "-Xmx256m", "-XX:+UseSerialGC", f"-Dlog4j.configuration=file:{zdir}/log4j.properties",
                 "-cp", f"{zdir}:{ZK_CLASSPATH}", "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                 str(zdir / "zoo.cfg")],
                {}, zdir / "zookeeper.log", [self.zk_port])
        kind, _, num = name.partition("-")
        n = int(num)
        pdir = self.dir / name
        if kind == "controller":
            env = {
                "KAFKA_CONTROLLER_ID": str(n),
                "KAFKA_ZOOKEEPER_CONNECT": self.zookeeper_connect,
                "KAFKA_LISTENERS": f"CONTROLLER://127.0.0.1:{self.controller_port(n)}",
                "KAFKA_ADVERTISED_LISTENERS": f"CONTROLLER://127.0.0.1:{self.controller_port(n)}",
                "KAFKA_METRICS_PORT": str(self.controller_metrics_port(n)),
            }
            env.update(self.extra_controller_env)
            return Proc(name, [str(self.bin / "fjord-controller"), "--config",
                               str(ROOT / "deploy/config/controller.properties")],
                        env, pdir / "controller.log", [self.controller_port(n)])
        env = {
            "KAFKA_BROKER_ID": str(n),
            "KAFKA_ZOOKEEPER_CONNECT": self.zookeeper_connect,
            "KAFKA_LISTENERS": (f"EXTERNAL://localhost:{self.broker_port(n)},"
                                f"INTERNAL://127.0.0.1:{self.broker_internal_port(n)}"),
            "KAFKA_ADVERTISED_LISTENERS": (f"EXTERNAL://localhost:{self.broker_port(n)},"
                                           f"INTERNAL://127.0.0.1:{self.broker_internal_port(n)}"),
            "KAFKA_LOG_DIRS": str(pdir / "data"),
            "KAFKA_METRICS_PORT": str(self.broker_metrics_port(n)),
        }
        env.update(self.extra_broker_env)
        return Proc(name, [str(self.bin / "fjord-broker"), "--config", str(ROOT / "deploy/config/broker.properties")],
                    env, pdir / "broker.log", [self.broker_port(n), self.broker_internal_port(n)])

    # Lifecycle ---------------------------------------------------------------------------------------------------
    def pid_file(self, name: str) -> Path:
        return self.dir / f"{name}.pid"

    def pid(self, name: str) -> int | None:
        try:
            pid = int(self.pid_file(name).read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def prepare_zookeeper(self) -> None:
        zdir = self.dir / "zookeeper"
        (zdir / "data").mkdir(parents=True, exist_ok=True)
        (zdir / "zoo.cfg").write_text(
            f"tickTime={self.zk_tick_ms}\ninitLimit=10\nsyncLimit=5\ndataDir={zdir / 'data'}\n"
            f"clientPort={self.zk_port}\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n"
            "admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,stat,mntr\n"
            f"minSessionTimeout={2 * self.zk_tick_ms}\nmaxSessionTimeout=60000\n"
            "autopurge.snapRetainCount=3\nautopurge.purgeInterval=1\n")
        (zdir / "log4j.properties").write_text(
            "log4j.rootLogger=INFO, FILE\nlog4j.appender.FILE=org.apache.log4j.FileAppender\n"
            f"log4j.appender.FILE.File={zdir / 'zookeeper.log'}\n"
            "log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p %c{1}: %m%n\n")

    def start_one(self, name: str) -> int:
        existing = self.pid(name)
        if existing:
            return existing
        if name == "zookeeper":
            self.prepare_zookeeper()
        p = self.proc(name)
        p.log.parent.mkdir(parents=True, exist_ok=True)
        if not Path(p.argv[0]).exists() and name != "zookeeper":
            raise SystemExit(f"cluster: {p.argv[0]} is missing; run `swift build` first")
        env = dict(os.environ)
        env.update(p.env)
        with open(p.log, "ab") as log:
            child = subprocess.Popen(p.argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=str(ROOT))
        self.pid_file(name).write_text(f"{child.pid}\n")
        return child.pid

    def signal(self, name: str, sig: int) -> int | None:
        pid = self.pid(name)
        if pid:
            os.kill(pid, sig)
        return pid

    def stop_one(self, name: str, timeout: float = 20.0) -> None:
        pid = self.pid(name)
        if pid:
            terminate_pid(pid, timeout)
        self.pid_file(name).unlink(missing_ok=True)

    def kill_one(self, name: str) -> None:
        pid = self.pid(name)
        if pid:
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not pid_alive(pid), 5)
        self.pid_file(name).unlink(missing_ok=True)

    def start(self, timeout: float = 90.0) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.start_one("zookeeper")
        if not wait_for(lambda: zk_ruok(self.zk_port), 30):
            raise SystemExit(f"cluster: ZooKeeper did not answer ruok on port {self.zk_port}; "
                             f"see {self.dir / 'zookeeper/zookeeper.log'}")
        for c in self.controller_ids:
            self.start_one(f"controller-{c}")
        for b in self.broker_ids:
            self.start_one(f"broker-{b}")
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90.0, brokers: int | None = None) -> None:
        want = len(self.broker_ids) if brokers is None else brokers
        port = self.broker_port(self.broker_ids[0])

        def ready() -> bool:
            for b in self.broker_ids:
                try:
                    if len(metadata_brokers("127.0.0.1", self.broker_port(b))) < want:
                        return False
                except OSError:
                    return False
            return True

        if not wait_for(ready, timeout):
            raise SystemExit(f"cluster: brokers did not all report {want} live brokers within {timeout:.0f}s "
                             f"(first broker port {port}); logs under {self.dir}")

    def stop(self) -> None:
        for name in reversed(self.names()):
            self.stop_one(name)

    def status(self) -> list[tuple[str, int | None]]:
        return [(name, self.pid(name)) for name in self.names()]


# Helpers ---------------------------------------------------------------------------------------------------------
def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child still answers kill(0)
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def terminate_pid(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM (after SIGCONT, in case a test stopped it), then SIGKILL if it is still alive after `timeout`."""
    try:
        os.kill(pid, signal.SIGCONT)
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_for(lambda: not pid_alive(pid), timeout):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wait_for(lambda: not pid_alive(pid), 5)


def wait_for(condition, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def zk_ruok(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"ruok")
            return s.recv(16) == b"imok"
    except OSError:
        return False


def metadata_brokers(host: str, port: int, timeout: float = 2.0) -> list[tuple[int, str, int]]:
    """Sends a Metadata v1 request for no topics and returns the (id, host, port) of the brokers listed."""
    client_id = b"fjord-cluster-script"
    body = struct.pack(">hhih", 3, 1, 7, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        data = recv_exact(s, size)
    pos = 4  # correlation id
    (count,) = struct.unpack_from(">i", data, pos)
    pos += 4
    brokers = []
    for _ in range(count):
        node_id, host_len = struct.unpack_from(">ih", data, pos)
        pos += 6
        bhost = data[pos:pos + host_len].decode()
        pos += host_len
        (bport,) = struct.unpack_from(">i", data, pos)
        pos += 4
        (rack_len,) = struct.unpack_from(">h", data, pos)
        pos += 2 + max(0, rack_len)
        brokers.append((node_id, bhost, bport))
    return brokers


def recv_exact(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise OSError("connection closed")
        out += chunk
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status", "kill", "restart", "signal"])
    parser.add_argument("name", nargs="?")
    parser.add_argument("--dir", default=os.environ.get("FJORD_CLUSTER_DIR", str(ROOT / ".cluster")))
    parser.add_argument("--port-offset", type=int, default=int(os.environ.get("FJORD_PORT_OFFSET", "0")))
    parser.add_argument("--bin", default=os.environ.get("FJORD_BIN_DIR"))
    parser.add_argument("--signal", type=int, default=signal.SIGKILL)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args()
    cluster = Cluster(Path(args.dir), args.port_offset, Path(args.bin) if args.bin else None)
    if args.command == "start" and args.name:
        pid = cluster.start_one(args.name)
        print(f"{args.name} running, pid {pid}; log under {cluster.dir / args.name}")
    elif args.command == "start":
        cluster.start(args.timeout)
        print(f"Fjord cluster is up: brokers at {cluster.bootstrap}, ZooKeeper at 127.0.0.1:{cluster.zk_port}")
        print(f"Data and logs under {cluster.dir}; stop it with `make cluster-stop`.")
    elif args.command == "stop":
        cluster.stop()
        print("Fjord cluster stopped.")
    elif args.command == "status":
        for name, pid in cluster.status():
            print(f"{name:14} {'running, pid ' + str(pid) if pid else 'stopped'}")
    elif args.command == "kill":
        cluster.kill_one(args.name)
    elif args.command == "signal":
        cluster.signal(args.name, args.signal)
    elif args.command == "restart":
        cluster.stop_one(args.name)
        cluster.start_one(args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
