"""Produce-consume-validate: a background idempotent acks=all producer (confluent-kafka) records every acknowledged
record and every error while a test injects faults; afterwards a consumer reads each partition from offset 0 to
the high watermark and `verify_records` checks that every acknowledged record is there, at the offset it was
acknowledged with, in produce order per partition, exactly once."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka import TopicPartition as CkTopicPartition

VALUE_SEPARATOR = b"|"


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    """Polls `condition` until it returns something truthy (returned) or `timeout` seconds pass (AssertionError
    naming `what` and the last exception the condition raised). Bounded in time and in iterations."""
    deadline = time.monotonic() + timeout
    last_error = None
    for _ in range(int(timeout / interval) + 2):
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # conditions race with restarts; keep polling
            last_error = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}"
                         + (f" (last error: {last_error!r})" if last_error else ""))


@dataclass(frozen=True)
class Ack:
    partition: int
    offset: int | None  # None: librdkafka acknowledged it implicitly (a later request of the producer succeeded)
    seq: int
    t_ack: float  # time.monotonic() when the delivery report was handled


@dataclass(frozen=True)
class DeliveryFailure:
    partition: int
    seq: int
    code: int
    name: str
    fatal: bool
    t: float


def make_value(tag: bytes, seq: int, size: int) -> bytes:
    head = tag + VALUE_SEPARATOR + b"%010d" % seq + VALUE_SEPARATOR
    return head + b"x" * max(0, size - len(head))


def parse_value(tag: bytes, value: bytes | None) -> int | None:
    """The sequence number of a value written by a producer with `tag`, else None."""
    if not value or not value.startswith(tag + VALUE_SEPARATOR):
        return None
    parts = value.split(VALUE_SEPARATOR, 2)
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


class BackgroundProducer:
    """Produces `tag|seq|padding` values at a steady rate from a thread, record `seq` to partition
    `seq % partitions`, with confluent-kafka configured as Kafka's safe producer: idempotence, acks=all, unlimited
    retries within `message.timeout.ms`. Bounded by `max_records` and `max_seconds`."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, tag: str, rate_per_s: float = 400.0,
                 max_records: int = 200_000, max_seconds: float = 360.0, value_bytes: int = 100,
                 config: dict | None = None):
        self.topic = topic
        self.partitions = partitions
        self.tag = tag.encode()
        self.rate = rate_per_s
        self.max_records = max_records
        self.max_seconds = max_seconds
        self.value_bytes = value_bytes
        conf = {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "max.in.flight.requests.per.connection": 5,
            "linger.ms": 5,
            "message.timeout.ms": 120_000,
            "request.timeout.ms": 5_000,
            "socket.timeout.ms": 10_000,
            "retry.backoff.ms": 50,
            "retry.backoff.max.ms": 500,
            "reconnect.backoff.ms": 50,
            "reconnect.backoff.max.ms": 1_000,
            "topic.metadata.refresh.interval.ms": 5_000,
            "client.id": f"fjord-faults-{tag}",
            "error_cb": self._on_error,
            "log_level": 2,  # errors reach error_cb; librdkafka's own log lines would only be noise here
        }
        conf.update(config or {})
        self._producer = Producer(conf)
        self._lock = threading.Lock()
        self.acks: list[Ack] = []
        self.failures: list[DeliveryFailure] = []
        self.client_errors: list[tuple[float, str, bool]] = []  # (time, description, fatal)
        self.produce_times: list[float] = []  # by seq
        self.fatal: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"producer-{tag}", daemon=True)
        self.started_at = 0.0
        self.flush_remaining: int | None = None

    # Callbacks run on the producer thread (inside poll/flush).
    def _on_error(self, err: KafkaError) -> None:
        with self._lock:
            self.client_errors.append((time.monotonic(), str(err), err.fatal()))
            if err.fatal():
                self.fatal = str(err)

    def _on_delivery(self, err: KafkaError | None, msg) -> None:
        now = time.monotonic()
        seq = parse_value(self.tag, msg.value())
        with self._lock:
            if err is None:
                self.acks.append(Ack(msg.partition(), msg.offset(), seq, now))
            else:
                self.failures.append(DeliveryFailure(msg.partition(), seq, err.code(), err.name(), err.fatal(), now))
                if err.fatal():
                    self.fatal = str(err)

    def _run(self) -> None:
        seq = 0
        start = self.started_at
        while not self._stop.is_set() and seq < self.max_records and self.fatal is None:
            now = time.monotonic()
            if now - start > self.max_seconds:
                break
            due = min(self.max_records, int((now - start) * self.rate) + 1)
            while seq < due and not self._stop.is_set():
                value = make_value(self.tag, seq, self.value_bytes)
                try:
                    self._producer.produce(self.topic, value=value, key=b"%d" % seq,
                                           partition=seq % self.partitions, on_delivery=self._on_delivery)
                except BufferError:
                    self._producer.poll(0.05)
                    continue
                except Exception as e:  # a fatal producer error surfaces here too
                    with self._lock:
                        self.client_errors.append((time.monotonic(), f"produce raised {e!r}", True))
                        self.fatal = self.fatal or repr(e)
                    return
                self.produce_times.append(time.monotonic())
                seq += 1
            self._producer.poll(0.01)

    def start(self) -> "BackgroundProducer":
        self.started_at = time.monotonic()
        self._thread.start()
        return self

    def stop(self, flush_timeout: float = 90.0) -> None:
        """Stops producing and waits (bounded) for every outstanding delivery report."""
        self._stop.set()
        self._thread.join(30)
        if self._producer is not None:
            self.flush_remaining = self._producer.flush(flush_timeout)
            self._producer = None  # destroys the client: no background connections outlive the test

    # Queries (main thread) ---------------------------------------------------------------------------------------
    @property
    def produced(self) -> int:
        return len(self.produce_times)

    def snapshot(self) -> tuple[list[Ack], list[DeliveryFailure]]:
        with self._lock:
            return list(self.acks), list(self.failures)

    def ack_count(self, partition: int | None = None, since: float = 0.0) -> int:
        acks, _ = self.snapshot()
        return sum(1 for a in acks if a.t_ack >= since and (partition is None or a.partition == partition))

    def acks_between(self, t0: float, t1: float) -> list[Ack]:
        acks, _ = self.snapshot()
        return [a for a in acks if t0 <= a.t_ack <= t1]

    def wait_for_acks(self, per_partition: int, timeout: float, since: float = 0.0, what: str = "") -> None:
        """Waits until every partition has `per_partition` acknowledgements handled at or after `since`."""
        def enough():
            if self.fatal:
                raise AssertionError(f"producer failed fatally: {self.fatal}")
            acks, _ = self.snapshot()
            counts = [0] * self.partitions
            for a in acks:
                if a.t_ack >= since:
                    counts[a.partition] += 1
            return min(counts) >= per_partition

        try:
            wait_until(enough, timeout, what or f"{per_partition} acknowledgements on every partition")
        except AssertionError as e:
            raise AssertionError(f"{e}; {self.describe()}") from None

    def first_ack_of_record_produced_after(self, partition: int, t0: float, timeout: float) -> float | None:
        """Seconds from `t0` to the delivery report of the first record of `partition` produced at or after `t0`:
        the failover time as this client saw it. None when none arrives within `timeout`."""
        def found():
            acks, _ = self.snapshot()
            times = self.produce_times
            hits = [a.t_ack for a in acks if a.partition == partition and a.seq is not None
                    and a.seq < len(times) and times[a.seq] >= t0]
            return min(hits) if hits else None

        try:
            t = wait_until(found, timeout, f"an acknowledged record on partition {partition}")
        except AssertionError:
            return None
        return t - t0

    def describe(self) -> str:
        acks, failures = self.snapshot()
        codes: dict[str, int] = {}
        for f in failures:
            codes[f.name] = codes.get(f.name, 0) + 1
        per_partition = [sum(1 for a in acks if a.partition == p) for p in range(self.partitions)]
        return (f"producer {self.tag.decode()}: {self.produced} produced, {len(acks)} acknowledged {per_partition}, "
                f"{len(failures)} failed {codes}, fatal={self.fatal}, last client errors "
                f"{[e[1] for e in self.client_errors[-3:]]}")


def consume_partitions(bootstrap: str, topic: str, end_offsets: dict[int, int],
                       timeout: float = 120.0) -> dict[int, list[tuple[int, bytes]]]:
    """Reads every partition from offset 0 up to its end offset (exclusive) with a confluent-kafka consumer
    (manual assignment, no group membership, read_uncommitted). Returns {partition: [(offset, value)]} in the order
    the consumer delivered them. Raises AssertionError when it cannot reach the end offsets within `timeout`."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"fjord-faults-validate-{topic}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_uncommitted",
        "enable.partition.eof": False,
        "fetch.wait.max.ms": 100,
        "client.id": "fjord-faults-validator",
        "log_level": 2,
    })
    out: dict[int, list[tuple[int, bytes]]] = {p: [] for p in end_offsets}
    next_offset = {p: 0 for p in end_offsets}
    errors: list[str] = []
    try:
        consumer.assign([CkTopicPartition(topic, p, 0) for p, end in end_offsets.items() if end > 0])
        deadline = time.monotonic() + timeout
        while any(next_offset[p] < end for p, end in end_offsets.items()) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=5000, timeout=0.5):
                if msg.error():
                    errors.append(str(msg.error()))
                    continue
                p, off = msg.partition(), msg.offset()
                if off < end_offsets[p]:
                    out[p].append((off, msg.value()))
                next_offset[p] = max(next_offset[p], off + 1)
    finally:
        consumer.close()
    short = {p: (next_offset[p], end) for p, end in end_offsets.items() if next_offset[p] < end}
    if short:
        raise AssertionError(f"consumer did not reach the high watermark within {timeout:.0f}s: "
                             f"{{partition: (reached, HW)}} = {short}; errors {errors[-5:]}")
    return out


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    consumed: int = 0
    ours: int = 0
    foreign: dict[bytes, int] = field(default_factory=dict)
    implicit_acks: int = 0  # acknowledgements without an offset (see verify_records)

    def fail(self, text: str) -> None:
        self.problems.append(text)

    def report(self, limit: int = 15) -> str:
        head = "\n  ".join(self.problems[:limit])
        more = f"\n  ... and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
        return f"{len(self.problems)} problems:\n  {head}{more}"


def verify_records(tag: str, partitions: int, acks: list[Ack], consumed: dict[int, list[tuple[int, bytes]]],
                   extra_acked: list[tuple[int, int, bytes]] = (), forbidden_prefixes: tuple[bytes, ...] = ()
                   ) -> Verification:
    """The produce-consume-validate assertions:
    - every acknowledged record is consumed at the offset its acknowledgement named, with its value (an
      acknowledgement without an offset — librdkafka's implicit one — by its sequence number, in its partition);
    - per partition, acknowledgements came in offset order, and consumed sequence numbers strictly increase
      (produce order; also excludes duplicates within the partition);
    - no sequence number appears twice in the topic, and each sits in the partition it was sent to;
    - `extra_acked` (partition, offset, value) records (raw produces acknowledged by a broker) are present too;
    - no value starts with a `forbidden_prefixes` entry (records that must never have been acknowledged)."""
    tag_bytes = tag.encode()
    v = Verification()
    seen_seq: dict[int, tuple[int, int]] = {}
    by_offset: dict[int, dict[int, bytes]] = {}
    for p, records in consumed.items():
        offsets = by_offset.setdefault(p, {})
        last_seq = -1
        last_offset = -1
        for offset, value in records:
            v.consumed += 1
            if offset <= last_offset:
                v.fail(f"partition {p}: offset {offset} delivered after {last_offset}")
            last_offset = offset
            offsets[offset] = value
            seq = parse_value(tag_bytes, value)
            if seq is None:
                prefix = (value or b"").split(VALUE_SEPARATOR, 1)[0][:40]
                v.foreign[prefix] = v.foreign.get(prefix, 0) + 1
                for bad in forbidden_prefixes:
                    if (value or b"").startswith(bad):
                        v.fail(f"partition {p} offset {offset}: record {value[:60]!r} must not be in the log")
                continue
            v.ours += 1
            if seq in seen_seq:
                v.fail(f"duplicate: seq {seq} at {p}@{offset} and {seen_seq[seq][0]}@{seen_seq[seq][1]}")
            seen_seq[seq] = (p, offset)
            if seq % partitions != p:
                v.fail(f"seq {seq} found in partition {p}, sent to {seq % partitions}")
            if seq <= last_seq:
                v.fail(f"partition {p}: seq {seq} at offset {offset} after seq {last_seq} (out of produce order)")
            last_seq = max(last_seq, seq)
    last_acked_offset: dict[int, int] = {}
    for a in acks:  # in acknowledgement order
        if a.offset is None:
            # librdkafka's implicit acknowledgement: a request failed without an answer (the leader's connection
            # closed) but a later one of the same producer succeeded, so the earlier records were written; their
            # delivery reports carry no offset. Checked by sequence number: in the log, in its partition.
            v.implicit_acks += 1
            where = seen_seq.get(a.seq)
            if where is None or where[0] != a.partition:
                v.fail(f"LOST: acknowledged seq {a.seq} (implicitly, no offset) for partition {a.partition} is "
                       + (f"at {where[0]}@{where[1]}" if where else "not in the log"))
            continue
        if a.offset <= last_acked_offset.get(a.partition, -1):
            v.fail(f"partition {a.partition}: ack for offset {a.offset} came after offset "
                   f"{last_acked_offset[a.partition]}")
        last_acked_offset[a.partition] = max(a.offset, last_acked_offset.get(a.partition, -1))
        got = by_offset.get(a.partition, {}).get(a.offset)
        if got is None:
            where = seen_seq.get(a.seq)
            v.fail(f"LOST: acknowledged seq {a.seq} at {a.partition}@{a.offset} is not in the log"
                   + (f" (found at {where[0]}@{where[1]})" if where else " (nowhere)"))
        elif parse_value(tag_bytes, got) != a.seq:
            v.fail(f"acknowledged seq {a.seq} at {a.partition}@{a.offset}, the log holds {got[:40]!r} there")
    for p, offset, value in extra_acked:
        got = by_offset.get(p, {}).get(offset)
        if got != value:
            v.fail(f"LOST: acknowledged raw record {value[:40]!r} at {p}@{offset}; the log holds "
                   f"{(got or b'nothing')[:40]!r}")
    return v
