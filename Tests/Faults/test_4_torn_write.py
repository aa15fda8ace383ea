"""A torn write on a follower: kill -9 it, then cut its active segments in the middle of a batch (as a crash during
a write would leave them; in one partition below the follower's own checkpointed high watermark), restart it. It
must truncate the torn batches at recovery, fetch again from the leaders, catch up, rejoin the ISR, and end
byte-identical to the other replicas up to the high watermark."""
import os
import time

import validate_logs
from conftest import SESSION_S
from harness import wait_until
from pcv import ProduceConsumeValidate

FOLLOWER = 3


def tear(segment, how: str, checkpointed_hw: int | None) -> dict:
    """Truncates `segment` inside a batch. `how`: 'last-records' (the last batch, in its records), 'last-header'
    (the last batch, inside its 61-byte header), 'below-hw' (a batch half-way to the replica's checkpointed high
    watermark: the log then restarts below its own checkpointed HW, and everything after the cut goes too)."""
    walk = validate_logs.walk_segment(segment)
    assert walk.tail_problem is None, f"{segment} is already torn: {walk.tail_problem}"
    assert len(walk.batches) >= 4, f"{segment} has only {len(walk.batches)} batches"
    if how == "below-hw":
        committed = [b for b in walk.batches if checkpointed_hw is not None and b.last_offset < checkpointed_hw]
        candidates = committed if len(committed) >= 2 else walk.batches
        batch = candidates[len(candidates) // 2]
    else:
        batch = walk.batches[-1]
    cut = batch.position + (20 if how == "last-header" else max(validate_logs.BATCH_HEADER_SIZE + 1,
                                                                   batch.size // 2))
    assert batch.position < cut < batch.position + batch.size
    size_before = walk.file_size
    os.truncate(segment, cut)
    return {"segment": segment.name, "how": how, "torn_batch_offsets": (batch.base_offset, batch.last_offset),
            "bytes_before": size_before, "bytes_after": cut, "log_end_before": walk.batches[-1].next_offset}


def test_torn_write_on_a_follower(whole, figures):
    c = whole
    # Broker 3 follows every partition, so it can be torn without a leadership change.
    assignment = {0: [1, 2, 3], 1: [2, 1, 3], 2: [1, 2, 3]}
    with ProduceConsumeValidate(c, "torn-write", assignment) as run:
        run.producer.wait_for_acks(150, timeout=60, what="enough batches in every partition")
        hw_before = {p: c.checkpointed_hw(FOLLOWER, run.topic, p) for p in range(run.partitions)}
        c.kill_one(f"broker-{FOLLOWER}")
        torn = {}
        for p, how in zip(range(run.partitions), ("last-records", "last-header", "below-hw")):
            segments = validate_logs.segment_files(c.partition_dir(FOLLOWER, run.topic, p))
            assert segments, f"no segment for partition {p} on broker {FOLLOWER}"
            torn[p] = tear(segments[-1][1], how, hw_before[p])
            torn[p]["checkpointed_hw"] = hw_before[p]
        print(f"torn on broker {FOLLOWER}: {torn}")
        wait_until(lambda: FOLLOWER not in c.live_brokers(), SESSION_S + 15, "the follower's registration to expire")
        t_start = time.monotonic()
        c.start_one(f"broker-{FOLLOWER}")
        wait_until(lambda: FOLLOWER in c.live_brokers(), 60, "the torn follower to register again")
        # It truncated the torn batches, caught up and rejoined every ISR (finish() then compares its bytes).
        c.wait_isr_full(run.topic, 90)
        rejoin_s = time.monotonic() - t_start
        print(f"broker {FOLLOWER} back in every ISR {rejoin_s:.1f}s after restart; recovery log: "
              f"{c.log_lines(f'broker-{FOLLOWER}', 'torn or corrupt', 'truncated log', within=run.topic)}")
        run.finish()
    figures["torn_write_follower"] = {"restart_to_full_isr_ms": round(rejoin_s * 1000),
                                      "torn": {str(p): t["how"] for p, t in torn.items()}}
