"""Admin requests through a real client (kafka-python 3's admin client, bootstrapped at one broker): they go to the
broker Metadata names as controller, which writes ZooKeeper and waits for the controller process to act."""
import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import InvalidPartitionsError, InvalidReplicationFactorError, TopicAlreadyExistsError

import wire
from conftest import wait_until


@pytest.fixture
def admin(cluster):
    client = KafkaAdminClient(bootstrap_servers=cluster.bootstrap_one(3), request_timeout_ms=30_000)
    yield client
    client.close()


def partition_count(cluster, topic):
    return len(wire.metadata(*cluster.broker_address(1), [topic])["topics"].get(topic, {}).get("partitions", {}))


def test_topic_lifecycle(cluster, admin):
    admin.create_topics([NewTopic("admin-life", 2, 3, topic_configs={"retention.ms": "3600000"})], timeout_ms=30_000)
    assert partition_count(cluster, "admin-life") == 2
    with pytest.raises(TopicAlreadyExistsError):
        admin.create_topics([NewTopic("admin-life", 2, 3)], timeout_ms=30_000)
    with pytest.raises(InvalidReplicationFactorError):
        admin.create_topics([NewTopic("admin-too-wide", 1, 4)], timeout_ms=30_000)

    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "admin-life")])
    assert configs["topic"]["admin-life"]["retention.ms"]["value"] == "3600000"
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "admin-life", configs={"segment.bytes": "1048576"})])
    # Other brokers learn the change through their ZooKeeper watch: wait for the one answering to have it.
    configs = wait_until(lambda: (c := admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "admin-life")]))
                         ["topic"]["admin-life"].get("segment.bytes", {}).get("value") == "1048576" and c, 30,
                         "the config change to be described")
    # kafka-python 3 re-sends the other dynamic configs with legacy AlterConfigs, so they survive.
    assert configs["topic"]["admin-life"]["retention.ms"]["value"] == "3600000"
    with cluster.zk() as zk:
        data, _ = zk.get("/config/topics/admin-life")
    assert b"segment.bytes" in data

    admin.create_partitions({"admin-life": NewPartitions(4)}, timeout_ms=30_000)
    assert partition_count(cluster, "admin-life") == 4
    with pytest.raises(InvalidPartitionsError):
        admin.create_partitions({"admin-life": NewPartitions(3)}, timeout_ms=30_000)

    admin.delete_topics(["admin-life"], timeout_ms=30_000)
    for broker in cluster.broker_ids:
        wait_until(lambda: "admin-life" not in wire.metadata(*cluster.broker_address(broker), None)["topics"], 30,
                   f"broker {broker} to forget the topic")
    with cluster.zk() as zk:
        wait_until(lambda: zk.exists("/brokers/topics/admin-life") is None, 30, "the topic to leave ZooKeeper")
