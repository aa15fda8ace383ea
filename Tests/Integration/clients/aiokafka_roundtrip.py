"""Round trip with aiokafka (asyncio, pure Python), bootstrapped at ONE broker, the way its documentation shows:
create a topic with AIOKafkaAdminClient, send keyed records with headers from an idempotent acks=all producer, then
read them all in a consumer group of two members (auto_offset_reset=earliest, manual commits) and check content,
exactly-once delivery, per-partition order and that the committed offsets reach the log end. Prints one JSON line;
exits non-zero on a mismatch."""
import argparse
import asyncio
import json
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


def value_of(seq: int) -> bytes:
    return b"value-%08d-" % seq + b"y" * 48


async def produce(args, errors: list[str]) -> dict[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, enable_idempotence=True, acks="all",
                                linger_ms=5, compression_type=None if args.compression == "none" else args.compression)
    await producer.start()
    delivered: dict[int, int] = {}
    try:
        pending = []
        for seq in range(args.count):
            future = await producer.send(args.topic, key=b"key-%d" % (seq % 101), value=value_of(seq),
                                         headers=[("seq", b"%d" % seq)])
            pending.append((seq, future))
            if len(pending) >= 2000:
                await settle(pending, delivered, errors)
        await settle(pending, delivered, errors)
    finally:
        await producer.stop()
    return delivered


async def settle(pending, delivered, errors):
    for seq, future in pending:
        try:
            metadata = await future
            delivered[seq] = metadata.partition
        except Exception as e:  # noqa: BLE001 - reported, not raised
            errors.append(f"record {seq}: {e!r}")
    pending.clear()


async def consume_in_group(args, delivered: dict[int, int], errors: list[str]) -> dict:
    group = f"{args.topic}-group"
    members = [AIOKafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                session_timeout_ms=10_000, heartbeat_interval_ms=1_000) for _ in range(2)]
    for member in members:
        await member.start()
    seen: dict[int, int] = {}
    last_seq: dict[int, int] = {}
    per_member = [0, 0]
    deadline = time.monotonic() + 120
    try:
        while len(seen) < len(delivered) and time.monotonic() < deadline and len(errors) < 20:
            for index, member in enumerate(members):
                batches = await member.getmany(timeout_ms=200, max_records=5000)
                for tp, records in batches.items():
                    for record in records:
                        seq = int(dict(record.headers)["seq"])
                        if seq in seen:
                            errors.append(f"duplicate record {seq}")
                        seen[seq] = tp.partition
                        per_member[index] += 1
                        if record.key != b"key-%d" % (seq % 101) or record.value != value_of(seq):
                            errors.append(f"record {seq} changed")
                        if seq <= last_seq.get(tp.partition, -1):
                            errors.append(f"partition {tp.partition}: {seq} after {last_seq[tp.partition]}")
                        last_seq[tp.partition] = seq
                if batches:
                    await member.commit()
        partitions = [TopicPartition(args.topic, p) for p in range(args.partitions)]
        end_offsets = await members[0].end_offsets(partitions)
        committed = {tp.partition: await members[0].committed(tp) for tp in partitions}
    finally:
        for member in members:
            await member.stop()
    for tp, end in end_offsets.items():
        if committed[tp.partition] != end:
            errors.append(f"partition {tp.partition}: committed {committed[tp.partition]}, log end {end}")
    for seq, partition in delivered.items():
        if seen.get(seq) != partition:
            errors.append(f"record {seq} acknowledged on partition {partition}, consumed: {seen.get(seq)}")
            if len(errors) > 20:
                break
    return {"consumed": len(seen), "per_member": per_member}


async def run(args) -> dict:
    errors: list[str] = []
    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(args.topic, args.partitions, args.replication_factor)])
    finally:
        await admin.close()
    delivered = await produce(args, errors)
    outcome = await consume_in_group(args, delivered, errors)
    return {"client": "aiokafka", "produced": len(delivered), **outcome, "errors": errors[:20]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--replication-factor", type=int, default=3)
    ap.add_argument("--compression", default="none")
    args = ap.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return 0 if not result["errors"] and result["consumed"] == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
