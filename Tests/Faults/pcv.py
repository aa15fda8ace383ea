"""One produce-consume-validate run around a fault: create a fresh RF=3, min.insync.replicas=2 topic, keep an
idempotent acks=all producer running through the fault, then recover, consume everything and compare the replicas'
bytes. Also the failover probe that measures how long a partition cannot take acks=all writes."""
from __future__ import annotations

import time
import uuid

import kafka_wire as wire
from harness import BackgroundProducer, consume_partitions, verify_records, wait_until

DEFAULT_ASSIGNMENT = {0: [1, 2, 3], 1: [2, 3, 1], 2: [3, 1, 2]}


class ProduceConsumeValidate:
    """Use as a context manager: entering creates the topic and starts the producer (and waits until it is
    acknowledged on every partition; with `autostart=False` the test calls `start_producer()` itself); the test
    applies its fault; `finish()` recovers and asserts. Leaving the block on an exception stops the producer."""

    def __init__(self, cluster, topic: str, assignment: dict[int, list[int]] | None = None,
                 rate_per_s: float = 400.0, max_seconds: float = 280.0, autostart: bool = True):
        self.cluster = cluster
        self.topic = f"{topic}-{uuid.uuid4().hex[:6]}"
        self.assignment = assignment or DEFAULT_ASSIGNMENT
        self.partitions = len(self.assignment)
        self.tag = f"pcv-{self.topic}"
        self.rate = rate_per_s
        self.max_seconds = max_seconds
        self.producer: BackgroundProducer | None = None
        self.raw_acked: list[tuple[int, int, bytes]] = []  # (partition, offset, value) acked to raw produces
        self.summary: dict = {}
        self.autostart = autostart

    def __enter__(self) -> "ProduceConsumeValidate":
        self.cluster.ensure_whole()
        self.cluster.create_topic(self.topic, self.assignment)
        if self.autostart:
            self.start_producer()
        return self

    def start_producer(self) -> None:
        """Starts the background producer and waits until it is acknowledged on every partition."""
        self.producer = BackgroundProducer(self.cluster.bootstrap, self.topic, self.partitions, self.tag,
                                           rate_per_s=self.rate, max_seconds=self.max_seconds).start()
        self.producer.wait_for_acks(30, timeout=30, what="the producer's first acknowledgements")

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and self.producer is not None:
            self.producer.stop(flush_timeout=5)
            print(self.producer.describe())
        return False

    # During the fault ------------------------------------------------------------------------------------------
    def leader(self, partition: int) -> int:
        return self.cluster.leader(self.topic, partition)

    def probe_failover(self, partition: int, old_leader: int, t0: float, timeout: float = 40.0,
                       label: str = "probe") -> dict:
        """From `t0` (just before the fault), polls ZooKeeper for the partition's new leader and sends it one-record
        acks=all Produce v7 requests until one is acknowledged. Returns the times (ms after t0) of the election
        as seen in ZooKeeper and of that first acknowledgement."""
        deadline = t0 + timeout
        elected_at = acked_at = None
        new_leader = None
        attempts = 0
        errors: dict[str, int] = {}
        n = 0
        while time.monotonic() < deadline and acked_at is None:
            try:
                state = self.cluster.states(self.topic)[partition]
            except Exception:
                time.sleep(0.02)
                continue
            if state["leader"] in (-1, old_leader):
                time.sleep(0.01)
                continue
            if elected_at is None:
                elected_at = time.monotonic()
            new_leader = state["leader"]
            value = b"%s|%s|%d" % (label.encode(), self.topic.encode(), n)
            n += 1
            attempts += 1
            try:
                error, base = wire.produce(*self.cluster.client_address(new_leader), self.topic, partition,
                                           wire.record_batch([value]), acks=-1, timeout_ms=2000)
            except OSError as e:
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                time.sleep(0.01)
                continue
            if error == wire.NONE:
                acked_at = time.monotonic()
                self.raw_acked.append((partition, base, value))
            else:
                errors[wire.error_name(error)] = errors.get(wire.error_name(error), 0) + 1
                time.sleep(0.01)
        result = {
            "partition": partition, "old_leader": old_leader, "new_leader": new_leader,
            "elected_ms": round((elected_at - t0) * 1000) if elected_at else None,
            "first_ack_ms": round((acked_at - t0) * 1000) if acked_at else None,
            "attempts": attempts, "errors_before_ack": errors,
        }
        assert acked_at is not None, f"no acks=all produce was acknowledged within {timeout:.0f}s: {result}"
        return result

    # Recovery and validation -----------------------------------------------------------------------------------
    def finish(self, forbidden_prefixes: tuple[bytes, ...] = (), recovery_timeout: float = 90.0) -> dict:
        """Brings every process back, waits for a full ISR and for new acknowledgements on every partition, stops
        the producer, then asserts: no delivery failure, replicas' bytes identical up to the HW, and every
        acknowledged record consumed once, in order."""
        c, p = self.cluster, self.producer
        assert p is not None
        c.ensure_whole()
        c.wait_isr_full(self.topic, recovery_timeout)
        resumed = time.monotonic()
        p.wait_for_acks(20, timeout=60, since=resumed, what="acknowledgements after recovery")
        p.stop(flush_timeout=90)
        acks, failures = p.snapshot()
        # Every check runs and reports, so that one failure does not hide another (a lost record behind a
        # replica difference, say).
        problems: list[str] = []
        if p.fatal is not None:
            problems.append(f"the idempotent producer failed fatally: {p.fatal}")
        if p.flush_remaining:
            problems.append(f"{p.flush_remaining} records never got a delivery report")
        if failures:
            problems.append(f"{len(failures)} records failed delivery (first: {failures[:5]})")

        try:
            high_watermarks = c.wait_replicas_settled(self.topic, 60)
        except AssertionError as e:
            problems.append(str(e))
            high_watermarks = {(self.topic, part): c.high_watermark(self.topic, part)
                               for part in range(self.partitions)}
        results = c.validate_logs(self.topic, high_watermarks)
        for r in results:
            print("  " + r.summary())
            if not r.identical:
                problems.append(f"replicas differ below the high watermark: {r.summary()}")
            elif len(r.replicas) != len(self.assignment[r.partition]):
                problems.append(f"{r.summary()}: expected {len(self.assignment[r.partition])} replicas")
        if len(results) != self.partitions:
            problems.append(f"validated {len(results)} partitions of {self.partitions}")

        ends = {part: hw for (_t, part), hw in high_watermarks.items()}
        try:
            consumed = consume_partitions(c.bootstrap, self.topic, ends)
        except AssertionError as e:
            problems.append(str(e))
            consumed = {}
        v = verify_records(self.tag, self.partitions, acks, consumed, self.raw_acked, forbidden_prefixes)
        if v.problems:
            problems.append(v.report())
        self.summary = {
            "produced": p.produced, "acknowledged": len(acks), "implicit_acks": v.implicit_acks,
            "consumed": v.consumed, "ours": v.ours,
            "foreign": {k.decode(errors="replace"): n for k, n in v.foreign.items()},
            "high_watermarks": ends, "raw_acked": len(self.raw_acked),
        }
        print(f"  {self.topic}: {self.summary}")
        assert not problems, f"{self.topic}: {p.describe()}\n" + "\n".join(problems)
        return self.summary


def wait_registration_gone(cluster, broker: int, timeout: float) -> float:
    """Waits until broker's ZooKeeper registration disappears; returns the time it was seen gone."""
    wait_until(lambda: broker not in cluster.live_brokers(), timeout, f"broker {broker}'s registration to expire")
    return time.monotonic()
