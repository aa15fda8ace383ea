"""FjordClient (the Swift producer and consumer, driven through the `fjord` binary) against real clients on the
shared test cluster:

- records the Swift producer writes with each codec are read intact by kafka-python and confluent-kafka;
- records those clients write (with codecs) are read intact by the Swift consumer;
- keyed records land on the partitions Kafka's murmur2 partitioner picks (a Python reference, and confluent-kafka
  with partitioner=murmur2_random);
- a Swift consumer group of three shares a 6-partition topic, and killing one member's process moves its partitions;
- a Swift producer with acks=all (idempotent) loses and duplicates nothing through a kill -9 of a partition leader.
"""
from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

import pytest

from conftest import wait_until
from test_fjord_cli import create, fjord, fjord_binary, unique

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (Utils.murmur2), written from the algorithm: seed 0x9747b28c, 32-bit wrap-around."""
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    for i in range(len(data) // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail = len(data) & ~3
    extra = len(data) % 4
    if extra >= 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h ^= data[tail]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def test_python_murmur2_matches_kafkas_vectors():
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"abc") == 479470107


def read_all_python(cluster, topic, count, partitions):
    """(partition, offset, key, value, headers) of every record, read by kafka-python and by confluent-kafka."""
    from kafka import KafkaConsumer, TopicPartition as KTP
    kp = KafkaConsumer(bootstrap_servers=cluster.bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
                       consumer_timeout_ms=15_000)
    kp.assign([KTP(topic, p) for p in range(partitions)])
    kp.seek_to_beginning()
    by_kp = []
    for m in kp:
        by_kp.append((m.partition, m.offset, m.key, m.value, [(k, v) for k, v in (m.headers or [])]))
        if len(by_kp) >= count:
            break
    kp.close()

    from confluent_kafka import Consumer, TopicPartition as CTP, OFFSET_BEGINNING
    ck = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": unique("ck"), "enable.auto.commit": False})
    ck.assign([CTP(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    by_ck = []
    deadline = time.monotonic() + 30
    while len(by_ck) < count and time.monotonic() < deadline:
        msg = ck.poll(1.0)
        if msg is None or msg.error():
            continue
        by_ck.append((msg.partition(), msg.offset(), msg.key(), msg.value(), list(msg.headers() or [])))
    ck.close()
    return sorted(by_kp), sorted(by_ck)


@pytest.mark.parametrize("codec", CODECS)
def test_swift_producer_records_are_read_intact_by_python_clients(cluster, codec):
    topic = unique(f"swift-out-{codec}")
    create(cluster, topic, 3)
    lines = [f"h{i % 3}:{i}\tkey-{i % 11}|value-{i}-{'é' * (i % 5)}" for i in range(600)]
    fjord(cluster, "produce", "--topic", topic, "--compression", codec, "--property", "parse.headers=true",
          "--property", "parse.key=true", "--property", "key.separator=|", input="\n".join(lines) + "\n")
    by_kp, by_ck = read_all_python(cluster, topic, len(lines), 3)
    assert by_kp == by_ck, "both clients read the same records"
    assert len(by_kp) == len(lines)
    expected = {}
    for i in range(600):
        expected.setdefault(f"key-{i % 11}".encode(), []).append(
            (f"value-{i}-{'é' * (i % 5)}".encode(), [(f"h{i % 3}", str(i).encode())]))
    got = {}
    for partition, offset, key, value, headers in by_kp:
        got.setdefault(key, []).append((value, headers))
    assert got == expected, "keys, values and headers intact, and per-key order kept"


@pytest.mark.parametrize("codec", CODECS)
def test_python_client_records_are_read_intact_by_the_swift_consumer(cluster, codec):
    topic = unique(f"swift-in-{codec}")
    create(cluster, topic, 3)
    from kafka import KafkaProducer
    kp = KafkaProducer(bootstrap_servers=cluster.bootstrap, compression_type=None if codec == "none" else codec)
    for i in range(300):
        kp.send(topic, key=f"kp-{i % 5}".encode(), value=f"from-kafka-python-{i}".encode(),
                headers=[("src", b"kp")])
    kp.flush(30)
    kp.close()
    from confluent_kafka import Producer
    ck = Producer({"bootstrap.servers": cluster.bootstrap, "compression.codec": codec, "linger.ms": 5})
    for i in range(300):
        ck.produce(topic, key=f"ck-{i % 5}".encode(), value=f"from-confluent-{i}".encode(), headers=[("src", b"ck")])
    assert ck.flush(30) == 0
    out = fjord(cluster, "consume", "--topic", topic, "--from-beginning", "--json", "--max-messages", "600",
                "--timeout-ms", "20000")
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 600
    kp_values = [r["payload"] for r in records if r["headers"] == ["src", "kp"]]
    ck_values = [r["payload"] for r in records if r["headers"] == ["src", "ck"]]
    assert sorted(kp_values) == sorted(f"from-kafka-python-{i}" for i in range(300))
    assert sorted(ck_values) == sorted(f"from-confluent-{i}" for i in range(300))
    for key in {r["key"] for r in records}:
        seq = [int(r["payload"].rsplit("-", 1)[1]) for r in records if r["key"] == key]
        assert seq == sorted(seq), f"per-key order for {key}"
    per_partition = {}
    for r in records:
        per_partition.setdefault(r["partition"], []).append(r["offset"])
    assert all(offsets == sorted(offsets) for offsets in per_partition.values())


def test_keyed_records_land_where_kafkas_partitioner_puts_them(cluster):
    swift_topic, ck_topic = unique("keys-swift"), unique("keys-ck")
    create(cluster, swift_topic, 6)
    create(cluster, ck_topic, 6)
    keys = [f"user-{i}" for i in range(200)] + ["", "a", "ab", "abc", "ünïcode"]
    fjord(cluster, "produce", "--topic", swift_topic, "--property", "parse.key=true", "--property",
          "key.separator=|", input="".join(f"{k}|{k}\n" for k in keys))
    from confluent_kafka import Producer
    ck = Producer({"bootstrap.servers": cluster.bootstrap, "partitioner": "murmur2_random"})
    for k in keys:
        ck.produce(ck_topic, key=k.encode(), value=k.encode())
    assert ck.flush(30) == 0

    def placement(topic):
        out = fjord(cluster, "consume", "--topic", topic, "--from-beginning", "--max-messages", str(len(keys)),
                    "-f", "%p|%k\\n", "--timeout-ms", "20000")
        return {line.split("|", 1)[1]: int(line.split("|", 1)[0]) for line in out.stdout.splitlines()}

    swift, confluent = placement(swift_topic), placement(ck_topic)
    reference = {k: (murmur2(k.encode()) & 0x7FFFFFFF) % 6 for k in keys if k}
    assert {k: swift[k] for k in reference} == reference
    assert {k: confluent[k] for k in reference} == reference
    assert swift == confluent


def describe_members(cluster, group):
    out = fjord(cluster, "groups", "describe", "--group", group, "--members", "--assignments",
                check=False).stdout.splitlines()
    members = {}
    for line in out:
        cols = line.split()
        if cols and cols[0] == group and len(cols) >= 6:
            assigned = set()
            for part in cols[5].split("),"):
                if "(" in part:
                    name, ps = part.rstrip(")").split("(")
                    assigned |= {(name, int(p)) for p in ps.split(",")}
            members[cols[1]] = assigned
    return members


def test_consumer_group_of_three_shares_partitions_and_survives_a_kill(cluster):
    topic, group = unique("swift-group"), unique("swift-g3")
    create(cluster, topic, 6)
    args = [str(fjord_binary()), "consume", "--topic", topic, "--group", group, "--from-beginning",
            "--bootstrap-server", cluster.bootstrap, "--timeout-ms", "120000",
            "--consumer-property", "session.timeout.ms=6000", "--consumer-property", "heartbeat.interval.ms=500",
            "--consumer-property", "auto.commit.interval.ms=500", "-f", "%p %s\\n"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(3)]
    outputs = [[] for _ in procs]
    readers = []
    for i, p in enumerate(procs):
        t = threading.Thread(target=lambda i=i, p=p: outputs[i].extend(iter(p.stdout.readline, "")), daemon=True)
        t.start()
        readers.append(t)
    try:
        members = wait_until(lambda: (m := describe_members(cluster, group)) and len(m) == 3
                             and all(len(a) == 2 for a in m.values()) and m, 60, "three members with 2 each")
        assert set().union(*members.values()) == {(topic, p) for p in range(6)}

        from confluent_kafka import Producer
        ck = Producer({"bootstrap.servers": cluster.bootstrap})
        for i in range(600):
            ck.produce(topic, value=f"first-{i}".encode(), partition=i % 6)
        assert ck.flush(30) == 0
        wait_until(lambda: sum(len(o) for o in outputs) >= 600, 60, "all 600 records consumed by the group")
        for o in outputs:
            assert len(o) == 200, "each member consumed its two partitions"

        victim = procs[0]
        victim_partitions = {int(line.split()[0]) for line in list(outputs[0])}
        survivors_before = {int(line.split()[0]) for o in outputs[1:] for line in list(o)}
        assert len(victim_partitions) == 2 and victim_partitions.isdisjoint(survivors_before)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        after = wait_until(lambda: (m := describe_members(cluster, group)) and len(m) == 2
                           and sum(len(a) for a in m.values()) == 6 and m, 60, "two members owning all six")
        assert set().union(*after.values()) == {(topic, p) for p in range(6)}

        for i in range(600):
            ck.produce(topic, value=f"second-{i}".encode(), partition=i % 6)
        assert ck.flush(30) == 0
        wait_until(lambda: sum(1 for o in outputs[1:] for line in o if " second-" in line) >= 600, 60,
                   "the survivors to consume the second round, the killed member's partitions included")
        moved = {int(line.split()[0]) for o in outputs[1:] for line in o if " second-" in line}
        assert victim_partitions <= moved
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def replication_works(cluster, topic) -> bool:
    def full_isr():
        out = fjord(cluster, "topics", "describe", "--topic", topic, check=False).stdout
        isrs = [line.split("Isr: ")[1] for line in out.splitlines() if "\tIsr: " in line]
        return isrs and all(len(i.split(",")) == 3 for i in isrs)
    try:
        wait_until(full_isr, 20, "a full ISR")
        return True
    except pytest.fail.Exception:
        return False


def leader_of(cluster, topic, partition) -> int:
    out = fjord(cluster, "topics", "describe", "--topic", topic).stdout
    for line in out.splitlines():
        if f"\tPartition: {partition}\t" in line:
            return int(line.split("Leader: ")[1].split("\t")[0])
    raise AssertionError(out)


def test_acks_all_through_a_leader_kill_loses_and_duplicates_nothing(whole_cluster):
    cluster = whole_cluster
    topic = unique("swift-failover")
    create(cluster, topic, 3)
    if not replication_works(cluster, topic):
        pytest.skip("the cluster does not replicate yet (ISR never reached 3 replicas); needs RF=3 replication")
    victim = leader_of(cluster, topic, 0)
    bootstrap = ",".join(f"localhost:{cluster.broker_port(b)}" for b in (1, 2, 3) if b != victim)
    total = 6000
    producer = subprocess.Popen(
        [str(fjord_binary()), "produce", "--topic", topic, "--acks", "all", "--bootstrap-server", bootstrap,
         "--producer-property", "enable.idempotence=true", "--producer-property", "linger.ms=5",
         "--producer-property", "request.timeout.ms=5000", "--producer-property", "delivery.timeout.ms=120000"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for i in range(total):
            producer.stdin.write(f"record-{i:06d}\n")
            if i % 200 == 199:
                producer.stdin.flush()
                time.sleep(0.05)
            if i == total // 3:
                cluster.kill_one(f"broker-{victim}")
        producer.stdin.close()
        rc = producer.wait(180)
        stderr = producer.stderr.read()
        assert rc == 0, f"the producer reported failures: {stderr}"
    finally:
        if producer.poll() is None:
            producer.kill()
    out = fjord(cluster, "consume", "--topic", topic, "--from-beginning", "--max-messages", str(total + 100),
                "--timeout-ms", "15000", broker=next(b for b in (1, 2, 3) if b != victim), timeout=120)
    values = out.stdout.splitlines()
    missing = sorted(set(f"record-{i:06d}" for i in range(total)) - set(values))
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:5]}"
    assert len(values) == len(set(values)) == total, f"{len(values) - len(set(values))} duplicates"


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "cooperative-sticky"])
def test_swift_and_librdkafka_members_share_a_group(cluster, strategy):
    """A Swift member and a confluent-kafka member in one group: they read each other's subscription and
    assignment bytes (whichever is leader), split the partitions, and (cooperative-sticky) the incremental
    protocol hands partitions over without either member stopping."""
    topic, group = unique(f"mixed-{strategy}"), unique("mixed")
    create(cluster, topic, 6)
    swift = subprocess.Popen(
        [str(fjord_binary()), "consume", "--topic", topic, "--group", group, "--from-beginning",
         "--bootstrap-server", cluster.bootstrap, "--timeout-ms", "60000",
         "--consumer-property", f"partition.assignment.strategy={strategy}",
         "--consumer-property", "session.timeout.ms=6000", "--consumer-property", "heartbeat.interval.ms=500",
         "-f", "%p %s\\n"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    swift_lines: list[str] = []
    threading.Thread(target=lambda: swift_lines.extend(iter(swift.stdout.readline, "")), daemon=True).start()
    from confluent_kafka import Consumer, Producer
    ck = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                   "partition.assignment.strategy": strategy, "session.timeout.ms": 6000,
                   "heartbeat.interval.ms": 500})
    ck.subscribe([topic])
    ck_values: list[str] = []
    try:
        def split_evenly():
            ck.poll(0.2)
            m = describe_members(cluster, group)
            return len(m) == 2 and all(len(a) == 3 for a in m.values()) and m
        members = wait_until(split_evenly, 60, "two members with three partitions each")
        assert set().union(*members.values()) == {(topic, p) for p in range(6)}
        producer = Producer({"bootstrap.servers": cluster.bootstrap})
        for i in range(600):
            producer.produce(topic, value=f"m-{i}".encode(), partition=i % 6)
        assert producer.flush(30) == 0

        def all_consumed():
            msg = ck.poll(0.2)
            if msg is not None and not msg.error():
                ck_values.append(msg.value().decode())
            return len(ck_values) + len(swift_lines) >= 600
        wait_until(all_consumed, 60, "both members to consume their share")
        swift_values = [line.split()[1] for line in swift_lines]
        assert sorted(ck_values + swift_values) == sorted(f"m-{i}" for i in range(600))
        assert len(ck_values) == 300 and len(swift_values) == 300
    finally:
        ck.close()
        swift.terminate()
        swift.wait(30)
