"""Round trip with kcat (librdkafka 2.0.2 from Debian), bootstrapped at ONE broker. kcat cannot create topics, so
this script creates the topic with kafka-python's admin client first (or relies on auto-creation when asked), then
produces `key:value` lines with a header (`-K: -H`), consumes from the beginning until the end of every partition
(`-o beginning -e`) and checks content, exactly-once delivery and per-partition order (by offset)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from kafka import KafkaAdminClient
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
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap)
    admin.create_topics([NewTopic(args.topic, args.partitions, args.replication_factor)], timeout_ms=30_000)
    admin.close()
    created = time.monotonic()

    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt") as f:
        for i in range(args.count):
            f.write(f"key-{i % 997}:value-{i:08d}-{'x' * 64}\n")
        path = f.name
    try:
        produce = subprocess.run(
            ["kcat", "-b", args.bootstrap, "-t", args.topic, "-P", "-K:", "-H", "h=v", "-z", args.compression,
             "-X", "acks=all", "-l", path],
            capture_output=True, text=True, timeout=180)
    finally:
        os.unlink(path)
    produced = time.monotonic()
    errors = []
    if produce.returncode != 0:
        errors.append(f"kcat -P failed: {produce.stderr[-500:]}")

    consume = subprocess.run(
        ["kcat", "-b", args.bootstrap, "-t", args.topic, "-C", "-o", "beginning", "-e", "-q",
         "-f", "%p\t%o\t%k\t%s\t%h\n"],
        capture_output=True, text=True, timeout=180)
    consumed = time.monotonic()
    if consume.returncode != 0:
        errors.append(f"kcat -C failed: {consume.stderr[-500:]}")
    seen, last = {}, {}
    for line in consume.stdout.splitlines():
        partition, offset, key, value, headers = line.split("\t")
        seq = int(value.split("-")[1])
        if seq in seen:
            errors.append(f"duplicate record {seq}")
        seen[seq] = int(partition)
        if key != f"key-{seq % 997}" or value != f"value-{seq:08d}-{'x' * 64}":
            errors.append(f"record {seq} changed")
        if headers != "h=v":
            errors.append(f"record {seq} has headers {headers!r}")
        previous = last.get(partition)
        if previous is not None and (int(offset) <= previous[0] or seq <= previous[1]):
            errors.append(f"partition {partition}: out of order at offset {offset}")
        last[partition] = (int(offset), seq)
        if len(errors) > 20:
            break
    if len(seen) != args.count:
        errors.append(f"{args.count - len(seen)} records missing")
    print(json.dumps({
        "client": "kcat (librdkafka 2.0.2)", "count": args.count, "consumed": len(seen),
        "compression": args.compression, "errors": errors[:20],
        "seconds": {"create": round(created - started, 2), "produce": round(produced - created, 2),
                    "consume": round(consumed - produced, 2)},
    }))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
