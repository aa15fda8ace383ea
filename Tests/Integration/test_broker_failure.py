"""Broker failures: kill -9 removes the broker's registration, its single-replica partitions go offline (leader -1)
and come back with their data when it restarts; a produce to a broker that does not lead the partition is refused
with NOT_LEADER_OR_FOLLOWER and clients recover through a leadership change."""
import signal
import threading
import time

import pytest

import wire
from conftest import wait_until
from test_controller import create_topic, leaders


def test_kill_9_of_a_broker_and_restart(whole_cluster):
    cluster = whole_cluster
    create_topic(cluster, "single-replica", 3, assignments={0: [3], 1: [3], 2: [3]})
    wait_until(lambda: leaders(cluster, "single-replica") == {0: 3, 1: 3, 2: 3}, 30, "broker 3 to lead every partition")
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=cluster.bootstrap_one(1), acks=1)
    for i in range(300):
        producer.send("single-replica", key=b"%d" % i, value=b"record-%d" % i, partition=i % 3)
    producer.flush(60)
    producer.close()
    cluster.kill_one("broker-3")
    with cluster.zk() as zk:
        wait_until(lambda: "3" not in zk.children("/brokers/ids"), 30, "broker 3's registration to expire")
    offline = wait_until(lambda: (ls := leaders(cluster, "single-replica")) == {0: -1, 1: -1, 2: -1} and ls, 30,
                         "the partitions to go offline")
    assert offline == {0: -1, 1: -1, 2: -1}
    cluster.start_one("broker-3")
    wait_until(lambda: leaders(cluster, "single-replica") == {0: 3, 1: 3, 2: 3}, 60, "broker 3 to lead again")
    for partition in range(3):
        assert wire.latest_offset(*cluster.broker_address(3), "single-replica", partition) == (0, 100)
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=cluster.bootstrap_one(2), auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10_000)
    consumer.assign([TopicPartition("single-replica", p) for p in range(3)])
    values = sorted(m.value for m in consumer)
    consumer.close()
    assert values == sorted(b"record-%d" % i for i in range(300))


def test_produce_to_a_non_leader_is_refused_and_clients_recover(whole_cluster):
    cluster = whole_cluster
    create_topic(cluster, "moving", 1, replication_factor=3)
    leader = wait_until(lambda: leaders(cluster, "moving").get(0, -1) > 0 and leaders(cluster, "moving")[0], 30,
                        "a leader")
    follower = next(b for b in (1, 2, 3) if b != leader)
    error, _ = wire.produce(*cluster.broker_address(follower), "moving", 0, wire.record_batch([b"wrong broker"]))
    assert error == 6  # NOT_LEADER_OR_FOLLOWER

    # A producer keeps going while the leader shuts down (controlled: leadership moves first) and restarts.
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=cluster.bootstrap_one(follower), retries=1_000_000,
                             request_timeout_ms=10_000)
    acked, failed = [], []
    stop = threading.Event()

    def produce_forever():
        i = 0
        while not stop.is_set() and i < 100_000:
            future = producer.send("moving", value=b"%d" % i)
            future.add_callback(lambda md, i=i: acked.append(i)).add_errback(lambda e, i=i: failed.append((i, e)))
            i += 1
            time.sleep(0.002)
        producer.flush(60)

    thread = threading.Thread(target=produce_forever)
    thread.start()
    wait_until(lambda: len(acked) > 200, 30, "records to flow")
    cluster.stop_one(f"broker-{leader}")  # SIGTERM: controlled shutdown
    new_leader = wait_until(lambda: (l := leaders(cluster, "moving", broker=follower).get(0, -1)) not in (-1, leader)
                            and l, 30, "a new leader")
    count_at_move = len(acked)
    wait_until(lambda: len(acked) > count_at_move + 200, 60, "records to flow to the new leader")
    cluster.start_one(f"broker-{leader}")
    cluster.wait_ready(60)
    stop.set()
    thread.join(120)
    producer.close()
    assert failed == []
    print(f"{len(acked)} records acknowledged; leadership moved {leader} -> {new_leader}")
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=cluster.bootstrap_one(follower), auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10_000)
    consumer.assign([TopicPartition("moving", 0)])
    values = [int(m.value) for m in consumer]
    consumer.close()
    assert sorted(set(values)) == sorted(acked)
    assert values == sorted(values)  # produce order within the partition
