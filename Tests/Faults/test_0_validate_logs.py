"""scripts/validate_logs.py on hand-made log directories (no cluster): identical replicas pass; a flipped byte, a
different leader epoch, a short replica, a torn batch below the HW and a HW inside a batch are each reported. Also
harness.verify_records on hand-made acknowledgements, librdkafka's implicit ones (no offset) included."""
import struct
from pathlib import Path

import kafka_wire as wire
import validate_logs
from harness import Ack, make_value, verify_records

TOPIC = "t"


def batch(base_offset: int, values: list[bytes], leader_epoch: int = 0) -> bytes:
    raw = bytearray(wire.record_batch(values, timestamp_ms=1_700_000_000_000 + base_offset))
    struct.pack_into(">q", raw, 0, base_offset)
    struct.pack_into(">i", raw, 12, leader_epoch)
    return bytes(raw)


def make_log(log_dir: Path, segments: dict[int, list[bytes]], high_watermark: int, partition: int = 0) -> Path:
    pdir = log_dir / f"{TOPIC}-{partition}"
    pdir.mkdir(parents=True)
    for base, batches in segments.items():
        (pdir / f"{base:020d}.log").write_bytes(b"".join(batches))
    (log_dir / validate_logs.HW_CHECKPOINT).write_text(f"0\n1\n{TOPIC} {partition} {high_watermark}\n")
    return pdir


def standard_batches() -> list[bytes]:
    # offsets 0-1, 2, 3-5, 6
    return [batch(0, [b"a", b"b"]), batch(2, [b"c"]), batch(3, [b"d", b"e", b"f"]), batch(6, [b"g"], 1)]


def run(tmp_path: Path, replicas: dict[str, tuple[dict[int, list[bytes]], int]], **kwargs):
    dirs = {}
    for name, (segments, hw) in replicas.items():
        make_log(tmp_path / name, segments, hw)
        dirs[name] = tmp_path / name
    results = validate_logs.validate(dirs, topic=TOPIC, **kwargs)
    assert len(results) == 1
    return results[0]


def test_identical_replicas_across_segment_boundaries(tmp_path):
    b = standard_batches()
    # Replicas may roll segments at different places: only the concatenated bytes count.
    r = run(tmp_path, {"1": ({0: b}, 7), "2": ({0: b[:2], 3: b[2:]}, 7), "3": ({0: b[:3], 6: b[3:]}, 6)})
    assert r.identical, r.summary()
    assert r.high_watermark == 7 and all(p.records == 7 for p in r.replicas)


def test_bytes_beyond_the_high_watermark_do_not_count(tmp_path):
    b = standard_batches()
    r = run(tmp_path, {"1": ({0: b}, 3), "2": ({0: b[:2] + [batch(3, [b"other"])]}, 3)})
    assert r.identical, r.summary()
    assert [p.end_offset for p in r.replicas] == [3, 3]


def test_a_flipped_byte_is_reported_at_its_batch(tmp_path):
    b = standard_batches()
    changed = bytearray(b[2])
    changed[-3] ^= 0x01
    r = run(tmp_path, {"1": ({0: b}, 7), "2": ({0: b[:2] + [bytes(changed)] + b[3:]}, 7)})
    assert not r.identical
    assert "first difference at batch 3" in r.detail and "different bytes" in r.detail


def test_a_different_leader_epoch_is_a_difference(tmp_path):
    b = standard_batches()
    r = run(tmp_path, {"1": ({0: b}, 7), "2": ({0: b[:3] + [batch(6, [b"g"], 2)]}, 7)})
    assert not r.identical and "epoch 1" in r.detail and "epoch 2" in r.detail


def test_a_short_replica_is_reported(tmp_path):
    b = standard_batches()
    r = run(tmp_path, {"1": ({0: b}, 7), "2": ({0: b[:3]}, 6)})
    assert not r.identical and "below the high watermark 7" in r.detail
    assert run(tmp_path / "min", {"1": ({0: b}, 7), "2": ({0: b[:3]}, 6)}, hw_mode="min").identical


def test_a_torn_batch_below_the_high_watermark_is_reported(tmp_path):
    b = standard_batches()
    torn = b[:2] + [b[2][: len(b[2]) // 2]]
    r = run(tmp_path, {"1": ({0: b}, 7), "2": ({0: torn}, 7)})
    assert not r.identical and "torn" in r.detail
    walk = validate_logs.walk_segment(tmp_path / "2" / f"{TOPIC}-0" / f"{0:020d}.log")
    assert [x.base_offset for x in walk.batches] == [0, 2] and walk.tail_problem


def test_a_high_watermark_inside_a_batch_is_reported(tmp_path):
    b = standard_batches()
    r = run(tmp_path, {"1": ({0: b}, 4), "2": ({0: b}, 4)})
    assert not r.identical and "straddles" in r.detail


def test_explicit_high_watermark_and_checkpoint_parsing(tmp_path):
    b = standard_batches()
    r = run(tmp_path, {"1": ({0: b}, 7), "2": ({0: b}, 7)}, high_watermarks={(TOPIC, 0): 3})
    assert r.identical and r.high_watermark == 3
    assert validate_logs.read_offset_checkpoint(tmp_path / "1" / validate_logs.HW_CHECKPOINT) == {(TOPIC, 0): 7}
    assert validate_logs.main(["--log-dir", f"1={tmp_path / '1'}", "--log-dir", f"2={tmp_path / '2'}"]) == 0


def test_acknowledgements_with_and_without_offsets():
    tag = "t-acks"
    consumed = {0: [(0, make_value(tag.encode(), 0, 40)), (1, make_value(tag.encode(), 2, 40))],
                1: [(0, make_value(tag.encode(), 1, 40))]}
    acks = [Ack(0, 0, 0, 1.0), Ack(1, None, 1, 2.0), Ack(0, 1, 2, 3.0)]
    v = verify_records(tag, 2, acks, consumed)
    assert v.problems == [] and v.implicit_acks == 1 and v.ours == 3
    # An implicit acknowledgement whose record is missing, or sits in another partition, is a loss.
    missing = verify_records(tag, 2, acks + [Ack(1, None, 3, 4.0)], consumed)
    assert len(missing.problems) == 1 and "LOST: acknowledged seq 3 (implicitly" in missing.problems[0]
    moved = verify_records(tag, 2, [Ack(0, None, 1, 1.0)], consumed)
    assert any("seq 1 (implicitly, no offset) for partition 0 is at 1@0" in p for p in moved.problems)
