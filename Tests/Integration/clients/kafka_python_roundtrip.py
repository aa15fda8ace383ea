"""Round trip with kafka-python (runs under either venv: 2.0.2 or 3.x), bootstrapped at ONE broker.

Creates a topic, produces keyed records with headers using the client's default producer settings (kafka-python 3:
idempotent, acks=all; 2.0.2: acks=1), consumes them all from the beginning with assign() (no consumer group) and
checks that every record came back exactly once, unchanged, and in produce order within its partition. Prints one
JSON line with what it saw; exits non-zero on any mismatch.
"""
import argparse
import json
import sys
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, default=50_000)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--replication-factor", type=int, default=3)
    ap.add_argument("--compression", default="none")
    args = ap.parse_args()
    started = time.monotonic()

    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, request_timeout_ms=30_000)
    admin.create_topics([NewTopic(args.topic, args.partitions, args.replication_factor)], timeout_ms=30_000)
    admin.close()
    created = time.monotonic()

    producer_config = {"bootstrap_servers": args.bootstrap, "linger_ms": 5}
    if args.compression != "none":
        producer_config["compression_type"] = args.compression
    producer = KafkaProducer(**producer_config)
    futures = []
    for i in range(args.count):
        key = b"key-%d" % (i % 997)
        value = b"value-%08d-" % i + b"x" * 64
        futures.append(producer.send(args.topic, key=key, value=value, headers=[("seq", b"%d" % i), ("h", b"v")]))
    producer.flush(timeout=120)
    partition_of = {}
    for i, future in enumerate(futures):
        metadata = future.get(timeout=60)
        partition_of[i] = metadata.partition
    producer.close()
    produced = time.monotonic()

    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
        consumer_timeout_ms=15_000, max_partition_fetch_bytes=1 << 20)
    consumer.assign([TopicPartition(args.topic, p) for p in range(args.partitions)])
    consumer.seek_to_beginning()
    seen = {}
    last_seq = {}
    errors = []
    deadline = time.monotonic() + 180
    for message in consumer:
        seq = int(dict(message.headers)["seq"])
        if seq in seen:
            errors.append(f"duplicate record {seq}")
        seen[seq] = message.partition
        if message.key != b"key-%d" % (seq % 997) or message.value != b"value-%08d-" % seq + b"x" * 64:
            errors.append(f"record {seq} changed")
        if dict(message.headers).get("h") != b"v":
            errors.append(f"record {seq} lost a header")
        if seq <= last_seq.get(message.partition, -1):
            errors.append(f"partition {message.partition}: {seq} after {last_seq[message.partition]}")
        last_seq[message.partition] = seq
        if len(seen) == args.count or time.monotonic() > deadline or len(errors) > 20:
            break
    consumer.close()
    consumed = time.monotonic()
    missing = args.count - len(seen)
    if missing:
        errors.append(f"{missing} records missing")
    wrong = [i for i, p in seen.items() if partition_of.get(i) != p]
    if wrong:
        errors.append(f"{len(wrong)} records in another partition than acknowledged")
    print(json.dumps({
        "client": f"kafka-python {kafka.__version__}", "count": args.count, "consumed": len(seen),
        "compression": args.compression, "errors": errors[:20],
        "seconds": {"create": round(created - started, 2), "produce": round(produced - created, 2),
                    "consume": round(consumed - produced, 2)},
    }))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
