"""The `fjord` command line against the shared test cluster: every command runs the built binary and its output is
checked against what Kafka's own tools print (kafka-topics, console producer/consumer, kafka-consumer-groups,
kafka-producer-perf-test).

The binary is taken from $FJORD_CLI, else $FJORD_BIN_DIR/fjord, else .build/debug/fjord (build it with
`swift build --product fjord`)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, wait_until


def fjord_binary() -> Path:
    for candidate in (os.environ.get("FJORD_CLI"),
                      os.environ.get("FJORD_BIN_DIR") and str(Path(os.environ["FJORD_BIN_DIR"]) / "fjord"),
                      str(ROOT / ".build" / "debug" / "fjord")):
        if candidate and Path(candidate).exists():
            return Path(candidate).resolve()
    pytest.fail("the fjord binary is missing: build it with `swift build --product fjord` "
                "(or point FJORD_CLI at it)")


def fjord(cluster, *args: str, input: str | None = None, timeout: float = 90, broker: int | None = None,
          check: bool = True) -> subprocess.CompletedProcess:
    """Runs `fjord <args> --bootstrap-server <cluster>`; with `check`, a non-zero exit fails the test."""
    bootstrap = cluster.bootstrap_one(broker) if broker else cluster.bootstrap
    proc = subprocess.run([str(fjord_binary()), *args, "--bootstrap-server", bootstrap], input=input,
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"fjord {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return proc


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(cluster, topic: str, partitions: int = 3, rf: int = 3, *extra: str):
    out = fjord(cluster, "topics", "create", "--topic", topic, "--partitions", str(partitions),
                "--replication-factor", str(rf), *extra)
    assert out.stdout == f"Created topic {topic}.\n"
    wait_until(lambda: described_leaders(cluster, topic) == partitions, 30, f"leaders for {topic}")


def described_leaders(cluster, topic: str) -> int:
    out = fjord(cluster, "topics", "describe", "--topic", topic, check=False)
    return len(re.findall(r"\tLeader: \d+\t", out.stdout))


def test_topics_create_list_describe_alter_delete(cluster):
    topic = unique("cli-topics")
    create(cluster, topic, 3, 3, "--config", "retention.ms=3600000")
    assert topic in fjord(cluster, "topics", "list").stdout.splitlines()

    lines = fjord(cluster, "topics", "describe", "--topic", topic).stdout.splitlines()
    assert lines[0] == f"Topic: {topic}\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: retention.ms=3600000"
    assert len(lines) == 4
    for p, line in enumerate(lines[1:]):
        m = re.fullmatch(rf"\tTopic: {topic}\tPartition: {p}\tLeader: (\d)\tReplicas: ([\d,]+)\tIsr: ([\d,]+)", line)
        assert m, line
        assert sorted(m.group(2).split(",")) == ["1", "2", "3"]
        assert m.group(1) in m.group(2).split(",")

    again = fjord(cluster, "topics", "create", "--topic", topic, "--partitions", "3", check=False)
    assert again.returncode != 0
    assert again.stderr.count("\n") == 1 and again.stderr.startswith("Error: TOPIC_ALREADY_EXISTS")
    assert fjord(cluster, "topics", "create", "--topic", topic, "--if-not-exists").returncode == 0

    fjord(cluster, "topics", "alter", "--topic", topic, "--partitions", "5")
    wait_until(lambda: f"PartitionCount: 5" in fjord(cluster, "topics", "describe", "--topic", topic).stdout, 30,
               "5 partitions")
    out = fjord(cluster, "topics", "alter", "--topic", topic, "--config", "cleanup.policy=compact")
    assert out.stdout == f"Completed updating config for topic {topic}.\n"
    first = fjord(cluster, "topics", "describe", "--topic", topic).stdout.splitlines()[0]
    assert "cleanup.policy=compact" in first and "retention.ms=3600000" in first

    fjord(cluster, "topics", "delete", "--topic", topic)
    wait_until(lambda: topic not in fjord(cluster, "topics", "list").stdout.splitlines(), 30, "the topic to go")
    missing = fjord(cluster, "topics", "describe", "--topic", topic, check=False)
    assert missing.returncode != 0 and "UNKNOWN_TOPIC_OR_PARTITION" in missing.stderr


def test_produce_and_consume_keys_like_the_console_tools(cluster):
    topic = unique("cli-console")
    create(cluster, topic, 3)
    lines = [f"key{i % 7}:value-{i}" for i in range(200)]
    fjord(cluster, "produce", "--topic", topic, "--property", "parse.key=true", "--property", "key.separator=:",
          input="\n".join(lines) + "\n")
    out = fjord(cluster, "consume", "--topic", topic, "--from-beginning", "--max-messages", "200",
                "--property", "print.key=true", "--property", "key.separator=:")
    assert sorted(out.stdout.splitlines()) == sorted(lines)
    assert out.stderr.strip().endswith("Processed a total of 200 messages")
    # Per key (so per partition) the order is the order produced.
    for k in range(7):
        got = [line for line in out.stdout.splitlines() if line.startswith(f"key{k}:")]
        assert got == [line for line in lines if line.startswith(f"key{k}:")]


def test_consume_formats_offsets_and_exit_at_end(cluster):
    topic = unique("cli-format")
    create(cluster, topic, 1)
    fjord(cluster, "produce", "--topic", topic, "--header", "h=v", "--property", "parse.key=true",
          "--property", "key.separator=|", input="".join(f"k{i}|v{i}\n" for i in range(10)))
    kcat = fjord(cluster, "consume", "--topic", topic, "--from-beginning", "-e", "-f", "%t %p %o %k %s %h\\n")
    assert kcat.stdout.splitlines() == [f"{topic} 0 {i} k{i} v{i} h=v" for i in range(10)]
    assert "Processed a total of 10 messages" in kcat.stderr

    js = fjord(cluster, "consume", "--topic", topic, "--partition", "0", "--offset", "7", "-e", "--json")
    records = [json.loads(line) for line in js.stdout.splitlines()]
    assert [(r["offset"], r["key"], r["payload"], r["headers"]) for r in records] == [
        (i, f"k{i}", f"v{i}", ["h", "v"]) for i in range(7, 10)]
    tail = fjord(cluster, "consume", "--topic", topic, "--partition", "0", "--offset", "-2", "-e",
                 "--property", "print.offset=true")
    assert tail.stdout.splitlines() == ["Offset:8\tv8", "Offset:9\tv9"]
    # Without a start option a partition reader starts at the end: nothing until --timeout-ms.
    empty = fjord(cluster, "consume", "--topic", topic, "--timeout-ms", "1500")
    assert empty.stdout == "" and "Processed a total of 0 messages" in empty.stderr


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_acks_and_compression(cluster, acks, codec):
    topic = unique(f"cli-{codec}-{acks}")
    create(cluster, topic, 2)
    values = [f"{codec}-{acks}-{i}-" + "x" * (i % 50) for i in range(300)]
    fjord(cluster, "produce", "--topic", topic, "--acks", acks, "--compression", codec,
          input="\n".join(values) + "\n")
    out = fjord(cluster, "consume", "--topic", topic, "--from-beginning", "--max-messages", "300",
                "--timeout-ms", "20000")
    assert sorted(out.stdout.splitlines()) == sorted(values)


def test_groups_list_describe_reset_delete(cluster):
    topic, group = unique("cli-groups"), unique("cli-group")
    create(cluster, topic, 2)
    fjord(cluster, "produce", "--topic", topic, "--property", "parse.key=true", "--property", "key.separator=:",
          input="".join(f"{i}:v{i}\n" for i in range(40)))
    consumed = fjord(cluster, "consume", "--topic", topic, "--group", group, "--from-beginning",
                     "--max-messages", "40")
    assert len(consumed.stdout.splitlines()) == 40

    assert group in fjord(cluster, "groups", "list").stdout.splitlines()
    out = fjord(cluster, "groups", "describe", "--group", group).stdout.splitlines()
    assert f"Consumer group '{group}' has no active members." in out
    header = next(line for line in out if line.startswith("GROUP"))
    assert header.split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                              "CONSUMER-ID", "HOST", "CLIENT-ID"]
    rows = [line.split() for line in out if line.startswith(group)]
    assert len(rows) == 2
    assert sum(int(r[3]) for r in rows) == 40 and all(r[3] == r[4] and r[5] == "0" for r in rows)
    assert all(r[6:] == ["-", "-", "-"] for r in rows)

    state = fjord(cluster, "groups", "describe", "--group", group, "--state").stdout.splitlines()
    assert state[1].split()[:2] == ["GROUP", "COORDINATOR"] and state[2].split()[0] == group
    assert "Empty" in state[2]

    dry = fjord(cluster, "groups", "reset-offsets", "--group", group, "--topic", topic, "--to-earliest")
    assert "WARN: No action will be performed" in dry.stderr
    assert [line.split()[3] for line in dry.stdout.splitlines() if line.startswith(group)] == ["0", "0"]
    rows = [line.split() for line in fjord(cluster, "groups", "describe", "--group", group).stdout.splitlines()
            if line.startswith(group)]
    assert sum(int(r[3]) for r in rows) == 40, "a dry run changes nothing"

    fjord(cluster, "groups", "reset-offsets", "--group", group, "--topic", f"{topic}:0", "--to-offset", "1",
          "--execute")
    fjord(cluster, "groups", "reset-offsets", "--group", group, "--topic", f"{topic}:1", "--to-earliest",
          "--execute")
    rows = {r[2]: r for r in (line.split() for line in
                              fjord(cluster, "groups", "describe", "--group", group).stdout.splitlines()
                              if line.startswith(group))}
    assert rows["0"][3] == "1" and rows["1"][3] == "0"
    assert int(rows["0"][5]) + int(rows["1"][5]) == 39
    again = fjord(cluster, "consume", "--topic", topic, "--group", group, "--max-messages", "39",
                  "--timeout-ms", "20000")
    assert len(again.stdout.splitlines()) == 39

    deleted = fjord(cluster, "groups", "delete", "--group", group)
    assert deleted.stdout == f"Deletion of requested consumer groups ('{group}') was successful.\n"


def test_groups_describe_members_of_a_live_group(cluster):
    topic, group = unique("cli-members"), unique("cli-live")
    create(cluster, topic, 3)
    consumer = subprocess.Popen(
        [str(fjord_binary()), "consume", "--topic", topic, "--group", group, "--bootstrap-server", cluster.bootstrap,
         "--timeout-ms", "60000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def members():
            out = fjord(cluster, "groups", "describe", "--group", group, "--members", "--assignments",
                        check=False).stdout.splitlines()
            return [line.split() for line in out if line.startswith(group)]
        rows = wait_until(members, 30, "the member to get its partitions")
        assert len(rows) == 1 and rows[0][3] == "fjord-console-consumer" and rows[0][4] == "3"
        assert rows[0][5] == f"{topic}(0,1,2)"
        assert "Stable" in fjord(cluster, "groups", "describe", "--group", group, "--state").stdout
        blocked = fjord(cluster, "groups", "reset-offsets", "--group", group, "--all-topics", "--to-earliest",
                        "--execute", check=False)
        assert blocked.returncode != 0 and "inactive" in blocked.stderr
    finally:
        consumer.terminate()
        consumer.wait(30)


def test_cluster_shows_brokers_controller_and_partitions(cluster):
    topic = unique("cli-cluster")
    create(cluster, topic, 2)
    def naming_the_active_controller():
        # The fjord-controller process holding /controller, not a broker (controllers have ids of their own);
        # brokers learn a change through a watch, so an earlier test's controller failover may still be arriving.
        with cluster.zk() as zk:
            active = json.loads(zk.get("/controller")[0])["brokerid"]
        lines = fjord(cluster, "cluster").stdout.splitlines()
        return lines[1] == f"Active controller: controller {active} at 127.0.0.1:{cluster.controller_port(active)}" \
            and lines
    out = wait_until(naming_the_active_controller, 30, "fjord cluster to name the active controller")
    assert out[0].startswith("Cluster ID: ")
    assert re.match(r"Controller: [123] ", out[2])
    assert out[3] == "Brokers: 3"
    for b in (1, 2, 3):
        assert f"\tBroker: {b}\tHost: localhost:{cluster.broker_port(b)}\tRack: -" in out
    assert any(line.startswith(f"\tTopic: {topic}\tPartition: 1\tLeader: ") for line in out)
    assert any(line.startswith("Partitions: ") for line in out)


def test_perf_produce_and_consume(cluster):
    topic = unique("cli-perf")
    create(cluster, topic, 3)
    out = fjord(cluster, "perf", "produce", "--topic", topic, "--num-records", "20000", "--record-size", "100",
                "--throughput", "-1", "--producer-props", "acks=all", "linger.ms=5", timeout=120)
    final = out.stdout.splitlines()[-1]
    assert re.fullmatch(
        r"20000 records sent, [\d.]+ records/sec \([\d.]+ MB/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, "
        r"\d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.", final), final
    consumed = fjord(cluster, "perf", "consume", "--topic", topic, "--messages", "20000", timeout=120)
    assert re.search(r"^20000 records consumed, [\d.]+ records/sec \([\d.]+ MB/sec\)$", consumed.stdout, re.M)


def test_errors_are_one_line_and_exit_non_zero(cluster):
    proc = subprocess.run([str(fjord_binary()), "topics", "list", "--bootstrap-server", "127.0.0.1:1",
                           "-X", "socket.connection.setup.timeout.ms=2000"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: ")
    assert "--bootstrap-server" in proc.stderr
    bad = subprocess.run([str(fjord_binary()), "produce", "--topic", "t", "--acks", "2"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode != 0 and "acks" in bad.stderr
