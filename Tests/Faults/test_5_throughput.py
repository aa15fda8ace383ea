"""What replication costs: throughput of RF=3 acks=all (min.insync.replicas=2) as a ratio of RF=1 acks=1, measured
in the same run on the same cluster with the same client settings (confluent-kafka, 100-byte values, linger 5 ms,
no compression, no idempotence so that only acks and replication differ). Rough: a warm-up burst on each topic,
then three alternating rounds, best of each."""
import os
import time
import uuid

from confluent_kafka import Producer

from harness import make_value

RECORDS = int(os.environ.get("FJORD_FAULTS_TPUT_RECORDS", "100000"))
ROUNDS = 3
WARMUP_RECORDS = 5000
VALUE_BYTES = 100
TIME_LIMIT_S = 40.0


def produce_burst(bootstrap: str, topic: str, acks: str, records: int) -> dict:
    """Sends `records` records as fast as the client queue allows, waits for every delivery report (bounded), and
    returns the rate of acknowledged records over the time from the first send to the last report."""
    delivered = [0]
    failed: dict[str, int] = {}
    last_report = [0.0]

    def on_delivery(err, _msg):
        last_report[0] = time.monotonic()
        if err is None:
            delivered[0] += 1
        else:
            failed[err.name()] = failed.get(err.name(), 0) + 1

    producer = Producer({"bootstrap.servers": bootstrap, "acks": acks, "enable.idempotence": False,
                         "linger.ms": 5, "compression.type": "none", "message.timeout.ms": 60_000,
                         "queue.buffering.max.messages": 200_000, "client.id": f"fjord-faults-tput-{acks}",
                         "log_level": 2})
    tag = topic.encode()
    start = time.monotonic()
    sent = 0
    while sent < records and time.monotonic() - start < TIME_LIMIT_S:
        try:
            producer.produce(topic, value=make_value(tag, sent, VALUE_BYTES), partition=sent % 3,
                             on_delivery=on_delivery)
            sent += 1
        except BufferError:
            producer.poll(0.01)
        if sent % 1000 == 0:
            producer.poll(0)
    remaining = producer.flush(TIME_LIMIT_S)
    elapsed = max(last_report[0] - start, 1e-6)
    return {"sent": sent, "acknowledged": delivered[0], "failed": failed, "undelivered": remaining,
            "seconds": round(elapsed, 3), "records_per_s": round(delivered[0] / elapsed),
            "mb_per_s": round(delivered[0] * VALUE_BYTES / elapsed / 1e6, 2)}


def test_rf3_acks_all_throughput_relative_to_rf1_acks_1(whole, figures):
    c = whole
    suffix = uuid.uuid4().hex[:6]
    rf1, rf3 = f"tput-rf1-{suffix}", f"tput-rf3-{suffix}"
    c.create_topic(rf1, {0: [1], 1: [2], 2: [3]}, min_insync_replicas=1)
    c.create_topic(rf3, {0: [1, 2, 3], 1: [2, 3, 1], 2: [3, 1, 2]}, min_insync_replicas=2)
    for topic, acks in ((rf1, "1"), (rf3, "all")):  # connections, metadata, first segment files
        produce_burst(c.bootstrap, topic, acks, WARMUP_RECORDS)
    rounds = []
    for _ in range(ROUNDS):
        one = produce_burst(c.bootstrap, rf1, "1", RECORDS)
        three = produce_burst(c.bootstrap, rf3, "all", RECORDS)
        print(f"RF=1 acks=1: {one}\nRF=3 acks=all: {three}")
        for result in (one, three):
            assert result["acknowledged"] == result["sent"] and not result["failed"], result
        rounds.append((one, three))
    best_one = max(r[0]["records_per_s"] for r in rounds)
    best_three = max(r[1]["records_per_s"] for r in rounds)
    ratio = best_three / best_one
    print(f"RF=3 acks=all / RF=1 acks=1 = {best_three}/{best_one} = {ratio:.2f}")
    figures["throughput_rf3_acks_all_vs_rf1_acks_1"] = {
        "ratio": round(ratio, 3), "rf1_acks_1_records_per_s": best_one, "rf3_acks_all_records_per_s": best_three,
        "records_per_round": RECORDS, "value_bytes": VALUE_BYTES, "rounds": [list(r) for r in rounds],
    }
