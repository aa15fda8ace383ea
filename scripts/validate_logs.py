#!/usr/bin/env python3
"""Checks that the replicas of each partition hold byte-identical logs up to the high watermark.

Every broker keeps a partition in `<log.dirs>/<topic>-<partition>/` as segment files (`<20-digit base offset>.log`)
of magic-v2 record batches exactly as they travel on the wire (docs/storage-format.md). A follower copies the
leader's batches unchanged, so below the high watermark (HW) every in-sync replica must hold the same bytes. This
script walks the batch headers of each replica's segments up to the HW, hashes every batch, and compares.

The HW comes from `<log.dirs>/replication-offset-checkpoint` (Kafka's text format: a version line, a count line,
then `topic partition offset` lines), or from the command line. Without an explicit HW the script uses the largest
checkpointed one among the replicas (`--hw-mode max`, the default): a checkpointed HW was once committed, so every
in-sync replica must reach it; a replica that does not is reported as short. `--hw-mode min` compares only what
every replica checkpointed (use it when a replica is knowingly out of the ISR).

Usage:
    validate_logs.py --cluster-dir .build/faults-cluster [--topic T] [--high-watermark T:P=N ...] [--json]
    validate_logs.py --log-dir 1=/path/to/broker-1/data --log-dir 2=... [--topic T]
Exit status 0 when every partition compared is identical, 1 when one differs or is short, 2 on usage errors.

Tests import it: `validate(log_dirs, topic=..., high_watermarks=...)` returns one `PartitionResult` per partition.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

HW_CHECKPOINT = "replication-offset-checkpoint"
#: Fixed part of a magic-v2 batch: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8,
#: crc uint32, attributes int16, lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64,
#: producerEpoch int16, baseSequence int32, recordCount int32.
BATCH_HEADER = struct.Struct(">qiibIhiqqqhii")
BATCH_HEADER_SIZE = BATCH_HEADER.size  # 61
#: batchLength counts the bytes after the length field: a batch occupies 12 + batchLength bytes.
LENGTH_PREFIX_SIZE = 12
MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LENGTH_PREFIX_SIZE  # 49
#: Bound on one batch, so a damaged length cannot make the walker read without limit (Kafka's message.max.bytes
#: default is about 1 MiB; replica fetches may carry larger ones, so be generous).
MAX_BATCH_SIZE = 64 << 20
SEGMENT_NAME = re.compile(r"^(\d{20})\.log$")
PARTITION_DIR = re.compile(r"^(.+)-(\d+)$")


class LogFormatError(Exception):
    """A segment holds something that is not a well-formed sequence of batches (where it matters: below the HW)."""


@dataclass(frozen=True)
class Batch:
    """One record batch of a segment: where it lies and what its header says."""

    segment: Path
    position: int
    size: int  # bytes on disk, 12 + batchLength
    base_offset: int
    last_offset: int
    leader_epoch: int
    magic: int
    crc: int
    record_count: int
    producer_id: int
    base_sequence: int

    @property
    def next_offset(self) -> int:
        return self.last_offset + 1


@dataclass
class SegmentWalk:
    """The whole batches of one segment, and what follows the last one (a torn or foreign tail), if anything."""

    batches: list[Batch]
    valid_bytes: int
    file_size: int
    tail_problem: str | None


def read_offset_checkpoint(path: Path) -> dict[tuple[str, int], int]:
    """`topic partition offset` entries of a Kafka text checkpoint; empty when the file is missing."""
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return {}
    if len(lines) < 2 or lines[0].strip() != "0":
        raise LogFormatError(f"{path}: not a version-0 checkpoint")
    count = int(lines[1])
    entries = [line for line in lines[2:] if line.strip()]
    if count != len(entries):
        raise LogFormatError(f"{path}: {count} entries announced, {len(entries)} present")
    result = {}
    for line in entries:
        topic, partition, offset = line.rsplit(" ", 2)
        result[(topic, int(partition))] = int(offset)
    return result


def segment_files(partition_dir: Path) -> list[tuple[int, Path]]:
    """The partition's `.log` segments, ordered by base offset."""
    found = []
    for entry in Path(partition_dir).iterdir():
        m = SEGMENT_NAME.match(entry.name)
        if m and entry.is_file():
            found.append((int(m.group(1)), entry))
    return sorted(found)


def walk_segment(path: Path) -> SegmentWalk:
    """Reads the batch headers of one segment file in order. Stops at the first header that is short, has a length
    outside [49, MAX_BATCH_SIZE], runs past the end of the file or is not magic v2; that remainder is the tail."""
    batches: list[Batch] = []
    file_size = path.stat().st_size
    position = 0
    problem = None
    with open(path, "rb") as f:
        while position < file_size:
            f.seek(position)
            header = f.read(BATCH_HEADER_SIZE)
            if len(header) < BATCH_HEADER_SIZE:
                problem = f"torn batch header: {file_size - position} bytes at position {position}"
                break
            (base_offset, batch_length, leader_epoch, magic, crc, _attributes, last_delta, _base_ts, _max_ts,
             producer_id, _producer_epoch, base_sequence, record_count) = BATCH_HEADER.unpack(header)
            size = LENGTH_PREFIX_SIZE + batch_length
            if batch_length < MIN_BATCH_LENGTH or size > MAX_BATCH_SIZE:
                problem = f"batch at position {position} has length {batch_length}"
                break
            if magic != 2:
                problem = f"batch at position {position} has magic {magic}"
                break
            if position + size > file_size:
                problem = (f"batch at position {position} (offset {base_offset}) needs {size} bytes, "
                           f"{file_size - position} remain: torn")
                break
            if last_delta < 0:
                problem = f"batch at position {position} has lastOffsetDelta {last_delta}"
                break
            batches.append(Batch(path, position, size, base_offset, base_offset + last_delta, leader_epoch, magic,
                                 crc, record_count, producer_id, base_sequence))
            position += size
    return SegmentWalk(batches, position, file_size, problem)


def partition_batches(partition_dir: Path) -> Iterator[tuple[Batch, SegmentWalk]]:
    """Every batch of every segment of a partition, in order, with the walk of its segment."""
    for _base, path in segment_files(partition_dir):
        walk = walk_segment(path)
        for batch in walk.batches:
            yield batch, walk


@dataclass
class ReplicaPrefix:
    """What one replica holds below the HW."""

    replica: str
    digest: str = ""
    bytes_compared: int = 0
    batches: int = 0
    records: int = 0
    end_offset: int = 0  # next offset after the last batch compared
    batch_digests: list[tuple[int, int, int, str]] = field(default_factory=list)  # base, last, epoch, sha1
    problem: str | None = None


def replica_prefix(replica: str, partition_dir: Path, high_watermark: int) -> ReplicaPrefix:
    """Hashes the batches of `partition_dir` whose offsets lie below `high_watermark`. A problem is recorded when
    the log ends before the HW, a batch straddles the HW, or the segments are malformed below it."""
    result = ReplicaPrefix(replica)
    overall = hashlib.sha256()
    if not partition_dir.is_dir():
        result.problem = f"no directory {partition_dir}"
        return result
    previous_last = None
    for _base, path in segment_files(partition_dir):
        if result.end_offset >= high_watermark and result.batches > 0:
            break
        walk = walk_segment(path)
        with open(path, "rb") as f:
            for batch in walk.batches:
                if batch.base_offset >= high_watermark:
                    break
                if batch.last_offset >= high_watermark:
                    result.problem = (f"batch {batch.base_offset}..{batch.last_offset} in {path.name} straddles "
                                      f"the high watermark {high_watermark}")
                    return result
                if previous_last is not None and batch.base_offset <= previous_last:
                    result.problem = (f"batch {batch.base_offset} in {path.name} does not follow offset "
                                      f"{previous_last}")
                    return result
                f.seek(batch.position)
                data = f.read(batch.size)
                overall.update(data)
                result.batch_digests.append((batch.base_offset, batch.last_offset, batch.leader_epoch,
                                             hashlib.sha1(data).hexdigest()))
                result.bytes_compared += batch.size
                result.batches += 1
                result.records += batch.record_count
                result.end_offset = batch.next_offset
                previous_last = batch.last_offset
        if walk.tail_problem and result.end_offset < high_watermark:
            result.problem = f"{path.name}: {walk.tail_problem}, before the high watermark {high_watermark}"
            return result
    if result.end_offset < high_watermark:
        result.problem = f"log ends at offset {result.end_offset}, below the high watermark {high_watermark}"
    result.digest = overall.hexdigest()
    return result


@dataclass
class PartitionResult:
    topic: str
    partition: int
    high_watermark: int
    replicas: list[ReplicaPrefix]
    identical: bool
    detail: str

    def summary(self) -> str:
        state = "identical" if self.identical else "DIFFERENT"
        sizes = ", ".join(f"{r.replica}: {r.batches} batches/{r.records} records/{r.bytes_compared} B"
                          for r in self.replicas)
        return f"{self.topic}-{self.partition} up to HW {self.high_watermark}: {state} ({sizes}){self.detail}"

    def as_json(self) -> dict:
        return {"topic": self.topic, "partition": self.partition, "high_watermark": self.high_watermark,
                "identical": self.identical, "detail": self.detail.strip(),
                "replicas": {r.replica: {"sha256": r.digest, "bytes": r.bytes_compared, "batches": r.batches,
                                         "records": r.records, "problem": r.problem} for r in self.replicas}}


def first_difference(reference: ReplicaPrefix, other: ReplicaPrefix) -> str:
    for mine, theirs in zip(reference.batch_digests, other.batch_digests):
        if mine != theirs:
            return (f"first difference at batch {mine[0]}: {reference.replica} has offsets {mine[0]}..{mine[1]} "
                    f"epoch {mine[2]}, {other.replica} has {theirs[0]}..{theirs[1]} epoch {theirs[2]}"
                    + (" (same offsets and epoch, different bytes)" if mine[:3] == theirs[:3] else ""))
    return f"{reference.replica} has {reference.batches} batches, {other.replica} {other.batches}"


def compare_partition(replica_dirs: dict[str, Path], topic: str, partition: int,
                      high_watermark: int) -> PartitionResult:
    """Compares the byte prefixes below `high_watermark` of the given replicas' partition directories."""
    prefixes = [replica_prefix(name, Path(d), high_watermark) for name, d in sorted(replica_dirs.items())]
    problems = [f"{p.replica}: {p.problem}" for p in prefixes if p.problem]
    detail = ""
    identical = not problems
    if problems:
        detail = "; " + "; ".join(problems)
    elif len({p.digest for p in prefixes}) > 1:
        identical = False
        ref = prefixes[0]
        diffs = [first_difference(ref, p) for p in prefixes[1:] if p.digest != ref.digest]
        detail = "; " + "; ".join(diffs)
    return PartitionResult(topic, partition, high_watermark, prefixes, identical, detail)


def discover_partitions(log_dirs: dict[str, Path], topic: str | None) -> dict[tuple[str, int], dict[str, Path]]:
    """(topic, partition) → {replica name: partition dir}, for every partition directory found."""
    found: dict[tuple[str, int], dict[str, Path]] = {}
    for name, log_dir in log_dirs.items():
        if not Path(log_dir).is_dir():
            continue
        for entry in sorted(Path(log_dir).iterdir()):
            m = PARTITION_DIR.match(entry.name)
            if not m or not entry.is_dir():
                continue  # also skips `<topic>-<p>.<hex>-delete` directories
            key = (m.group(1), int(m.group(2)))
            if topic is not None and key[0] != topic:
                continue
            found.setdefault(key, {})[name] = entry
    return found


def validate(log_dirs: dict[str, Path], topic: str | None = None,
             high_watermarks: dict[tuple[str, int], int] | None = None, hw_mode: str = "max",
             min_replicas: int = 2) -> list[PartitionResult]:
    """Compares every partition (of `topic`, or all) held by at least `min_replicas` of `log_dirs`. The HW of a
    partition is taken from `high_watermarks` when given there, else from the replicas' checkpoints (`hw_mode`)."""
    explicit = high_watermarks or {}
    checkpoints = {name: read_offset_checkpoint(Path(d) / HW_CHECKPOINT) for name, d in log_dirs.items()}
    results = []
    for key, dirs in sorted(discover_partitions(log_dirs, topic).items()):
        if len(dirs) < min_replicas:
            continue
        if key in explicit:
            hw = explicit[key]
        else:
            known = [checkpoints[name][key] for name in dirs if key in checkpoints[name]]
            if not known:
                continue  # nothing committed that anyone recorded
            hw = max(known) if hw_mode == "max" else min(known)
        results.append(compare_partition(dirs, key[0], key[1], hw))
    return results


def cluster_log_dirs(cluster_dir: Path) -> dict[str, Path]:
    """`broker-<id>/data` directories of a scripts/cluster.py cluster directory, named by broker id."""
    dirs = {}
    for entry in sorted(Path(cluster_dir).glob("broker-*/data")):
        dirs[entry.parent.name.removeprefix("broker-")] = entry
    return dirs


def parse_high_watermark(text: str) -> tuple[tuple[str, int], int]:
    m = re.match(r"^(.+):(\d+)=(\d+)$", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected TOPIC:PARTITION=OFFSET, got {text!r}")
    return (m.group(1), int(m.group(2))), int(m.group(3))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cluster-dir", help="a scripts/cluster.py directory (uses broker-*/data)")
    parser.add_argument("--log-dir", action="append", default=[], metavar="NAME=DIR",
                        help="a replica's log directory (repeatable)")
    parser.add_argument("--topic")
    parser.add_argument("--high-watermark", action="append", default=[], type=parse_high_watermark,
                        metavar="TOPIC:PARTITION=OFFSET")
    parser.add_argument("--hw-mode", choices=["max", "min"], default="max")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    log_dirs: dict[str, Path] = {}
    if args.cluster_dir:
        log_dirs.update(cluster_log_dirs(Path(args.cluster_dir)))
    for item in args.log_dir:
        name, sep, path = item.partition("=")
        if not sep:
            parser.error(f"--log-dir wants NAME=DIR, got {item!r}")
        log_dirs[name] = Path(path)
    if len(log_dirs) < 2:
        parser.error("need at least two replicas' log directories")
    results = validate(log_dirs, args.topic, dict(args.high_watermark), args.hw_mode)
    if args.json:
        print(json.dumps([r.as_json() for r in results], indent=2))
    else:
        for r in results:
            print(r.summary())
        if not results:
            print("no partition held by two or more replicas with a known high watermark")
    return 0 if all(r.identical for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
