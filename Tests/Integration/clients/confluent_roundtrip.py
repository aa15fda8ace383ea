"""Round trip with confluent-kafka (librdkafka 2.x), bootstrapped at ONE broker: create a topic, produce keyed
records with headers, consume them all from the beginning with assign() (no group membership, no commits), and
check content, exactly-once delivery and per-partition order. Prints one JSON line; exits non-zero on mismatch."""
import argparse
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


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
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    for future in admin.create_topics(
            [NewTopic(args.topic, args.partitions, args.replication_factor)], request_timeout=30).values():
        future.result()
    created = time.monotonic()

    producer = Producer({"bootstrap.servers": args.bootstrap, "compression.type": args.compression,
                         "linger.ms": 5, "acks": "all"})
    delivered = {}
    failures = []

    def on_delivery(seq, err, msg):
        # Delivery reports carry no headers: the sequence number is bound per record.
        if err is not None:
            failures.append(f"record {seq}: {err}")
        else:
            delivered[seq] = msg.partition()

    for i in range(args.count):
        while True:
            try:
                producer.produce(args.topic, key=b"key-%d" % (i % 997), value=b"value-%08d-" % i + b"x" * 64,
                                 headers=[("seq", b"%d" % i), ("h", b"v")],
                                 on_delivery=lambda err, msg, seq=i: on_delivery(seq, err, msg))
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(120)
    produced = time.monotonic()

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"{args.topic}-reader",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(args.topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(args.partitions)])
    seen, last_seq, errors = {}, {}, list(failures[:10])
    deadline = time.monotonic() + 180
    while len(seen) < len(delivered) and time.monotonic() < deadline and len(errors) < 20:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            errors.append(str(message.error()))
            continue
        headers = dict(message.headers() or [])
        seq = int(headers["seq"])
        if seq in seen:
            errors.append(f"duplicate record {seq}")
        seen[seq] = message.partition()
        if message.key() != b"key-%d" % (seq % 997) or message.value() != b"value-%08d-" % seq + b"x" * 64:
            errors.append(f"record {seq} changed")
        if headers.get("h") != b"v":
            errors.append(f"record {seq} lost a header")
        if seq <= last_seq.get(message.partition(), -1):
            errors.append(f"partition {message.partition()}: {seq} after {last_seq[message.partition()]}")
        last_seq[message.partition()] = seq
    consumer.close()
    consumed = time.monotonic()
    if len(delivered) != args.count:
        errors.append(f"{args.count - len(delivered)} records not acknowledged")
    if len(seen) != len(delivered):
        errors.append(f"{len(delivered) - len(seen)} records missing")
    if any(delivered.get(i) != p for i, p in seen.items()):
        errors.append("records in another partition than acknowledged")
    print(json.dumps({
        "client": f"confluent-kafka {confluent_kafka.version()[0]} (librdkafka {confluent_kafka.libversion()[0]})",
        "count": args.count, "consumed": len(seen), "compression": args.compression, "errors": errors[:20],
        "seconds": {"create": round(created - started, 2), "produce": round(produced - created, 2),
                    "consume": round(consumed - produced, 2)},
    }))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
