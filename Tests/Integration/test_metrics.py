"""Metrics and health of every process of the cluster (docs/operations.md, "Metrics" and "Health").

Every broker and controller serves Prometheus text at /metrics and readiness at /health on its own port
(scripts/cluster.py: `broker_metrics_port`, `controller_metrics_port`). Producing N bytes to a topic moves that
topic's bytes-in counter by about N on its leader only; consuming moves bytes-out; followers count the replication
traffic. Nothing here stops a process (the shared cluster must stay whole): killing a broker is in
Tests/Faults/test_metrics_faults.py."""
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as CkTopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import prometheus_text
from conftest import wait_until

RECORDS = 400
VALUE_BYTES = 1000


def scrape_all(cluster) -> dict[str, prometheus_text.Metrics]:
    ports = {f"broker-{b}": cluster.broker_metrics_port(b) for b in cluster.broker_ids}
    ports |= {f"controller-{c}": cluster.controller_metrics_port(c) for c in cluster.controller_ids}
    return {name: prometheus_text.scrape(port) for name, port in ports.items()}


def create_topic(cluster, name: str, partitions: int, assignment: list[list[int]] | None = None):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    topic = (NewTopic(name, replica_assignment=assignment, config={"min.insync.replicas": "2"}) if assignment
             else NewTopic(name, num_partitions=partitions, replication_factor=3,
                           config={"min.insync.replicas": "2"}))
    admin.create_topics([topic], operation_timeout=30, request_timeout=30)[name].result(timeout=40)

    def ready():
        meta = admin.list_topics(name, timeout=5).topics[name]
        ps = meta.partitions
        if meta.error or len(ps) != partitions:
            return None
        if any(p.leader < 0 or len(p.isrs) != len(p.replicas) for p in ps.values()):
            return None
        return {p.id: p.leader for p in ps.values()}

    return wait_until(ready, 60, f"leaders and full ISRs for {name}")


def test_every_process_serves_metrics_and_health(whole_cluster):
    cluster = whole_cluster
    scraped = scrape_all(cluster)
    for name, metrics in scraped.items():
        port = (cluster.broker_metrics_port(int(name.split("-")[1])) if name.startswith("broker")
                else cluster.controller_metrics_port(int(name.split("-")[1])))
        status, body = prometheus_text.fetch(port, "/health")
        assert (status, body.strip()) == (200, "ok"), f"{name} /health: {status} {body!r}"
        assert metrics.value("fjord_zookeeper_session_state", state="connected") == 1, name
        assert metrics.value("fjord_zookeeper_session_state") == 1, f"{name}: session state is not one-hot"
        assert metrics.value("fjord_process_open_fds") > 0, name
        assert metrics.value("fjord_process_resident_memory_bytes") > 0, name
        assert metrics.types.get("fjord_request_duration_seconds") in (None, "histogram"), name
    brokers = [scraped[f"broker-{b}"] for b in cluster.broker_ids]
    controllers = [scraped[f"controller-{c}"] for c in cluster.controller_ids]
    # Exactly one active controller, which sees every broker; standbys report 0 for the cluster gauges.
    assert sum(m.value("fjord_controller_active") for m in controllers) == 1
    active = next(m for m in controllers if m.value("fjord_controller_active") == 1)
    assert active.value("fjord_controller_live_brokers") == len(cluster.broker_ids)
    assert active.value("fjord_controller_epoch") >= 1
    assert active.value("fjord_controller_offline_partitions") == 0
    for m in brokers:
        assert m.has("fjord_broker_partitions") and m.has("fjord_broker_under_replicated_partitions")
        assert m.value("fjord_broker_metadata_offline_partitions") == 0
        # Clients and the scripts asked for metadata; brokers asked each other nothing on the client listener,
        # but every broker got UpdateMetadata from the controller.
        assert m.value("fjord_requests_total", api="UpdateMetadata") >= 1


def test_produce_moves_bytes_in_on_the_leader_only(whole_cluster):
    cluster = whole_cluster
    topic = f"metrics-bytes-{int(time.time())}"
    leader = create_topic(cluster, topic, 1)[0]
    followers = [b for b in cluster.broker_ids if b != leader]
    before = scrape_all(cluster)

    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True,
                         "compression.type": "none", "linger.ms": 5})
    value = b"m" * VALUE_BYTES
    for i in range(RECORDS):
        producer.produce(topic, value=value, key=b"%06d" % i, partition=0)
        if i % 100 == 0:
            producer.poll(0)
    assert producer.flush(30) == 0, "records left unacknowledged"
    payload = RECORDS * (VALUE_BYTES + 6)  # values and keys; batches add headers and per-record framing

    def moved():
        leader_now = prometheus_text.scrape(cluster.broker_metrics_port(leader))
        grew = (leader_now.value("fjord_topic_bytes_in_total", topic=topic)
                - before[f"broker-{leader}"].value("fjord_topic_bytes_in_total", topic=topic))
        return (grew, leader_now) if grew >= payload else None

    grew, leader_now = wait_until(moved, 20, f"the bytes-in counter of {topic} on leader {leader} to grow")
    # "About N": the record batch overhead (61 bytes per batch, a few bytes per record) and nothing else.
    print(f"{RECORDS} records, {payload} bytes of keys and values: bytes in grew by {grew:.0f} on leader {leader}")
    assert payload <= grew <= payload * 1.1, f"bytes in grew by {grew} for {payload} bytes of keys and values"
    assert leader_now.value("fjord_topic_messages_in_total", topic=topic) == RECORDS
    produced = (leader_now.value("fjord_requests_total", api="Produce")
                - before[f"broker-{leader}"].value("fjord_requests_total", api="Produce"))
    assert produced >= 1
    assert leader_now.value("fjord_request_duration_seconds_count", api="Produce") >= produced
    assert leader_now.value("fjord_broker_leader_partitions") >= 1
    for follower in followers:
        now = prometheus_text.scrape(cluster.broker_metrics_port(follower))
        assert now.value("fjord_topic_bytes_in_total", topic=topic) == 0, f"follower {follower} counted bytes in"
        replicated = (now.value("fjord_broker_replication_bytes_in_total")
                      - before[f"broker-{follower}"].value("fjord_broker_replication_bytes_in_total"))
        assert replicated >= payload, f"follower {follower} replicated {replicated} bytes"

    # Consuming the topic moves its bytes-out counter on the leader by what was fetched.
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": f"{topic}-reader",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 100})
    consumer.assign([CkTopicPartition(topic, 0, 0)])
    seen = 0
    deadline = time.monotonic() + 30
    while seen < RECORDS and time.monotonic() < deadline:
        for message in consumer.consume(500, timeout=1):
            if not message.error():
                seen += 1
    consumer.close()
    assert seen == RECORDS
    out = prometheus_text.scrape(cluster.broker_metrics_port(leader))
    assert out.value("fjord_topic_bytes_out_total", topic=topic) >= payload
    assert out.value("fjord_requests_total", api="Fetch") >= 1


def test_no_partition_is_under_replicated_on_a_healthy_cluster(whole_cluster):
    cluster = whole_cluster
    topic = f"metrics-isr-{int(time.time())}"
    create_topic(cluster, topic, 3)

    def settled():
        scraped = [prometheus_text.scrape(cluster.broker_metrics_port(b)) for b in cluster.broker_ids]
        if any(m.value("fjord_broker_under_replicated_partitions") != 0 for m in scraped):
            return None
        return scraped

    scraped = wait_until(settled, 30, "no under-replicated partition on any broker")
    assert sum(m.value("fjord_broker_leader_partitions") for m in scraped) >= 3
    assert all(m.value("fjord_broker_under_min_isr_partitions") == 0 for m in scraped)


def test_a_consumer_group_rebalance_is_counted_on_its_coordinator(whole_cluster):
    cluster = whole_cluster
    topic = f"metrics-group-{int(time.time())}"
    create_topic(cluster, topic, 2)
    before = sum(prometheus_text.scrape(cluster.broker_metrics_port(b)).value("fjord_group_rebalances_total")
                 for b in cluster.broker_ids)
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": f"{topic}-group",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([topic])

        def joined():
            consumer.poll(0.2)
            return consumer.assignment()

        wait_until(joined, 30, "the consumer to get an assignment")

        def counted():
            scraped = [prometheus_text.scrape(cluster.broker_metrics_port(b)) for b in cluster.broker_ids]
            rebalances = sum(m.value("fjord_group_rebalances_total") for m in scraped) - before
            stable = sum(m.value("fjord_groups", state="Stable") for m in scraped)
            consumer.poll(0.1)  # keep heartbeating
            return rebalances >= 1 and stable >= 1

        # fjord_groups is refreshed every 10 s.
        wait_until(counted, 30, "a counted rebalance and a Stable group")
    finally:
        consumer.close()
