"""README's "Add a broker and move partitions onto it": a fourth broker started with `cluster.py start broker-4`
registers and holds nothing; an AlterPartitionReassignments request (what Kafka's kafka-reassign-partitions.sh
--bootstrap-server sends, now advertised in ApiVersions) moves a partition onto it while its records stay readable;
ListPartitionReassignments shows the move until it is done; moving back empties broker 4 again before it is stopped
by pid."""
import struct

from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as CkTopicPartition

import wire
from conftest import wait_until

TOPIC = "reassign-to-new-broker"
RECORDS = 300


def uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def compact_string(s: str) -> bytes:
    data = s.encode()
    return uvarint(len(data) + 1) + data


def flexible_request(api_key: int, body: bytes, correlation_id: int = 7) -> bytes:
    """Request header v2 (client id as a classic nullable string, then empty tagged fields) and a v0 body."""
    header = struct.pack(">hhi", api_key, 0, correlation_id) + wire.string("fjord-it") + b"\0"
    frame = header + body
    return struct.pack(">i", len(frame)) + frame


def api_versions(cluster) -> dict[int, tuple[int, int]]:
    with wire.Connection(*cluster.broker_address(1)) as c:
        r = c.call(wire.request(18, 0, b""))
    assert r.take(">h") == 0
    return {key: (low, high) for key, low, high in (r.take(">hhh") for _ in range(r.take(">i")))}


def alter_reassignment(cluster, replicas: list[int]) -> tuple[int, list[int]]:
    """AlterPartitionReassignments v0 for partition 0 of TOPIC; returns the top-level and partition error codes."""
    partition = struct.pack(">i", 0) + uvarint(len(replicas) + 1) + b"".join(struct.pack(">i", r) for r in replicas)
    topic = compact_string(TOPIC) + uvarint(2) + partition + b"\0" + b"\0"
    body = struct.pack(">i", 30_000) + uvarint(2) + topic + b"\0"
    with wire.Connection(*cluster.broker_address(2)) as c:
        r = c.call(flexible_request(45, body))
    r.take(">b")  # response header v1: empty tagged fields
    r.take(">i")  # throttle
    error = r.take(">h")
    skip_compact_nullable_string(r)
    partition_errors = []
    for _ in range(read_uvarint(r) - 1):
        skip_compact_nullable_string(r)  # topic name
        for _ in range(read_uvarint(r) - 1):
            r.take(">i")
            partition_errors.append(r.take(">h"))
            skip_compact_nullable_string(r)
            r.take(">b")
        r.take(">b")
    return error, partition_errors


def read_uvarint(r: wire.Reader) -> int:
    shift, value = 0, 0
    while True:
        byte = r.take(">B")
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7


def skip_compact_nullable_string(r: wire.Reader) -> None:
    length = read_uvarint(r)
    if length > 1:
        r.take(f">{length - 1}s")


def partition_state(cluster) -> dict:
    return wire.metadata(*cluster.broker_address(1), [TOPIC])["topics"][TOPIC]["partitions"][0]


def moved_to(cluster, replicas: list[int]):
    state = partition_state(cluster)
    if state["replicas"] == replicas and sorted(state["isr"]) == sorted(replicas) and state["leader"] in replicas:
        return state
    return None


def test_a_partition_moves_onto_a_new_broker_and_back(whole_cluster):
    cluster = whole_cluster
    versions = api_versions(cluster)
    assert versions.get(45) == (0, 0) and versions.get(46) == (0, 0), "reassignment APIs must be advertised"
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap_one(1))
    admin.create_topics([NewTopic(TOPIC, -1, -1, replica_assignments={0: [1, 2, 3]})], timeout_ms=30_000)
    admin.close()
    wait_until(lambda: moved_to(cluster, [1, 2, 3]), 30, "the new topic's leader and full ISR")

    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True})
    for i in range(RECORDS):
        producer.produce(TOPIC, value=b"before-%d" % i)
    assert producer.flush(60) == 0

    try:
        cluster.start_one("broker-4")
        wait_until(lambda: 4 in wire.metadata(*cluster.broker_address(1))["brokers"], 60, "broker 4 registered")
        assert 4 not in partition_state(cluster)["replicas"]

        error, partition_errors = alter_reassignment(cluster, [4, 2, 3])
        assert (error, partition_errors) == (0, [0])
        # Records keep flowing during the move.
        for i in range(RECORDS):
            producer.produce(TOPIC, value=b"during-%d" % i)
        assert producer.flush(60) == 0
        state = wait_until(lambda: moved_to(cluster, [4, 2, 3]), 90, "partition 0 on brokers 4, 2, 3")
        print(f"after the move: {state}")

        consumer = Consumer({"bootstrap.servers": cluster.bootstrap_one(4), "group.id": "reassign-reader",
                             "enable.auto.commit": False})
        consumer.assign([CkTopicPartition(TOPIC, 0, 0)])
        values = []
        for _ in range(200):
            if len(values) >= 2 * RECORDS:
                break
            for message in consumer.consume(500, timeout=0.5):
                assert message.error() is None, message.error()
                values.append(message.value())
        consumer.close()
        assert values == [b"before-%d" % i for i in range(RECORDS)] + [b"during-%d" % i for i in range(RECORDS)]

        assert alter_reassignment(cluster, [1, 2, 3]) == (0, [0])
        wait_until(lambda: moved_to(cluster, [1, 2, 3]), 90, "partition 0 back on brokers 1, 2, 3")
    finally:
        cluster.stop_one("broker-4")
