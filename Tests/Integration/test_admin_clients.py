"""The admin calls of confluent-kafka's AdminClient and kafka-python's KafkaAdminClient as their documentation shows
them, against Fjord: cluster and topic descriptions, configs (legacy and incremental), partitions, offsets, record
deletion, preferred leader election, and consumer-group administration. Each call must succeed and report what the
cluster actually holds."""
import time

import pytest
from confluent_kafka import (Consumer, ConsumerGroupTopicPartitions, ElectionType, KafkaError, Producer,
                             TopicCollection, TopicPartition)
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions,
                                   NewTopic, OffsetSpec, ResourceType)

from conftest import wait_until

RECORDS = 90


def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(count):
        producer.produce(topic, key=b"k%d" % i, value=b"v%d" % i)
    assert producer.flush(60) == 0


def topic_config(admin: AdminClient, topic: str, key: str) -> str:
    resource = ConfigResource(ResourceType.TOPIC, topic)
    return admin.describe_configs([resource])[resource].result(30)[key].value


def test_confluent_kafka_admin_client(cluster):
    bootstrap = cluster.bootstrap_one(2)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = "ck-admin"
    admin.create_topics([NewTopic(topic, 3, 3)])[topic].result(30)
    wait_until(lambda: all(p.leader >= 0 for p in admin.list_topics(topic, timeout=10).topics[topic].partitions.values()),
               30, "leaders for the new topic")
    produce(bootstrap, topic, RECORDS)

    described = admin.describe_cluster().result(30)
    assert sorted(n.id for n in described.nodes) == sorted(cluster.broker_ids)
    assert described.controller is not None and described.cluster_id

    description = admin.describe_topics(TopicCollection([topic]))[topic].result(30)
    assert len(description.partitions) == 3
    assert all(len(p.replicas) == 3 and len(p.isr) == 3 for p in description.partitions)

    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET)])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(30)
    wait_until(lambda: topic_config(admin, topic, "retention.ms") == "7200000", 30, "the incremental config change")

    admin.create_partitions([NewPartitions(topic, 4)])[topic].result(30)
    wait_until(lambda: len(admin.list_topics(topic, timeout=10).topics[topic].partitions) == 4, 30, "4 partitions")

    latest = {tp.partition: f.result(30).offset for tp, f in admin.list_offsets(
        {TopicPartition(topic, p): OffsetSpec.latest() for p in range(3)}).items()}
    assert sum(latest.values()) == RECORDS
    busiest = max(latest, key=latest.get)
    deleted = admin.delete_records([TopicPartition(topic, busiest, 2)])
    for future in deleted.values():
        assert future.result(30).low_watermark == 2
    earliest = admin.list_offsets({TopicPartition(topic, busiest): OffsetSpec.earliest()})
    assert next(iter(earliest.values())).result(30).offset == 2

    elected = admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition(topic, 0)]).result(30)
    for tp, error in elected.items():  # every partition already has its preferred leader
        assert error is None or error.code() == KafkaError.ELECTION_NOT_NEEDED, (tp, error)

    group = "ck-admin-group"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen, deadline = 0, time.monotonic() + 60
    while seen < RECORDS - 2 and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            seen += 1
    consumer.commit(asynchronous=False)
    assert seen == RECORDS - 2
    assert group in [g.group_id for g in admin.list_consumer_groups().result(30).valid]
    group_description = admin.describe_consumer_groups([group])[group].result(30)
    assert len(group_description.members) == 1
    committed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(30)
    assert {tp.partition: tp.offset for tp in committed.topic_partitions if tp.offset >= 0} == \
        {p: o for p, o in latest.items() if o > 0}
    consumer.close()

    moved = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, busiest, 5)])])
    moved[group].result(30)
    committed = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, [TopicPartition(topic, busiest)])])[group].result(30)
    assert [tp.offset for tp in committed.topic_partitions] == [5]
    admin.delete_consumer_groups([group])[group].result(30)
    assert group not in [g.group_id for g in admin.list_consumer_groups().result(30).valid]
    admin.delete_topics([topic])[topic].result(30)


@pytest.mark.parametrize("python", [".venv", ".venv-kp2"])
def test_kafka_python_describe_cluster_and_delete_records(cluster, python):
    """kafka-python 3 asks DescribeCluster (and reads v1's fields); 2.0.2 falls back to Metadata. Both must list the
    brokers and the controller. kafka-python 3 also deletes records."""
    import json
    import subprocess

    from conftest import ROOT
    script = """
import json, sys
from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
cluster = admin.describe_cluster()
result = {"brokers": sorted(b.get("node_id", b.get("broker_id")) for b in cluster["brokers"]),
          "controller": cluster["controller_id"]}
if hasattr(admin, "delete_records"):
    topic = "kp-delete-records"
    admin.create_topics([NewTopic(topic, 1, 3)])
    producer = KafkaProducer(bootstrap_servers=sys.argv[1])
    for i in range(10):
        producer.send(topic, b"x").get(30)
    deleted = admin.delete_records({TopicPartition(topic, 0): 4})
    result["low_watermark"] = deleted[TopicPartition(topic, 0)]["low_watermark"]
print(json.dumps(result))
"""
    proc = subprocess.run([str(ROOT / python / "bin" / "python"), "-c", script, cluster.bootstrap_one(3)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["brokers"] == sorted(cluster.broker_ids)
    assert result["controller"] in cluster.broker_ids
    if python == ".venv":
        assert result["low_watermark"] == 4
