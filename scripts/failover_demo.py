#!/usr/bin/env python3
"""Watch a failover: on a running `make cluster`, kill -9 the leader of a partition while a producer and a consumer
run, and watch the new leader take over, the producer carry on, and the killed broker rejoin the ISR.

Steps (each bounded in time; any failure or timeout prints why and exits 1):
  1. create a topic with 3 partitions, replication factor 3, min.insync.replicas=2;
  2. start an idempotent acks=all producer (confluent-kafka) and a consumer, each in a thread; a third thread prints
     their progress every second (sent / acked / consumed / errors);
  3. find the leader of partition 0 (Metadata), kill -9 it through the cluster's pid file, print "old leader: N";
  4. wait until Metadata names another leader, print "new leader: M" and how long it took;
  5. show the producer carrying on (acknowledgements from partition 0's new leader);
  6. restart the killed broker and wait until it is back in the ISR of partition 0;
  7. stop the producer, let the consumer catch up, check that every acknowledged record was consumed, print a
     summary and exit 0.
The killed broker is restarted on every exit path, so the cluster is left whole.

Usage: failover_demo.py [--dir .cluster] [--port-offset 0] [--bin .build/debug] [--topic NAME] [--broker-env K=V,...]
(`--dir/--port-offset/--bin` as for scripts/cluster.py; `--broker-env` adds environment variables to the restarted
broker, for clusters started with extra settings, such as the fault suite's.)
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster import ROOT, Cluster, wait_for  # noqa: E402

try:
    from confluent_kafka import Consumer, KafkaException, Producer
    from confluent_kafka import TopicPartition as CkTopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:  # pragma: no cover - the Makefile installs it into .venv
    sys.exit("failover-demo: confluent-kafka is missing; run `make deps` and use .venv/bin/python")

PARTITIONS = 3
RATE_PER_S = 200
VALUE_BYTES = 100


class DemoFailed(Exception):
    """A step failed or timed out; the message says which and what was seen."""


def quiet_logger() -> logging.Logger:
    """librdkafka's connection errors to the killed broker are expected: keep them off the demo's output."""
    logger = logging.getLogger("failover-demo.rdkafka")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


# Producer and consumer --------------------------------------------------------------------------------------------
@dataclass
class Progress:
    """Counters the threads update and the printer reads (under `lock`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    acked: int = 0
    acked_by_partition: dict[int, int] = field(default_factory=lambda: {p: 0 for p in range(PARTITIONS)})
    acked_seqs: set[int] = field(default_factory=set)
    delivery_errors: list[str] = field(default_factory=list)
    consumed_seqs: set[int] = field(default_factory=set)
    consumed: int = 0
    consumer_errors: list[str] = field(default_factory=list)

    def snapshot(self) -> dict:
        with self.lock:
            return {"sent": self.sent, "acked": self.acked, "acked_p0": self.acked_by_partition[0],
                    "consumed": self.consumed, "errors": len(self.delivery_errors) + len(self.consumer_errors)}


class ProducerThread(threading.Thread):
    """Produces `seq` (zero-padded) to partition seq % 3 at a steady rate with Kafka's safe producer settings."""

    def __init__(self, bootstrap: str, topic: str, progress: Progress):
        super().__init__(name="producer", daemon=True)
        self.topic = topic
        self.progress = progress
        self.stop_event = threading.Event()
        self.producer = Producer({
            "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5,
            "message.timeout.ms": 60_000, "logger": quiet_logger()})

    def run(self) -> None:
        seq = 0
        started = time.monotonic()
        while not self.stop_event.is_set():
            due = started + seq / RATE_PER_S
            if time.monotonic() < due:
                self.producer.poll(min(0.05, due - time.monotonic()))
                continue
            value = b"%010d|" % seq + b"x" * (VALUE_BYTES - 11)
            try:
                self.producer.produce(self.topic, value=value, partition=seq % PARTITIONS,
                                      on_delivery=self.delivered(seq))
            except BufferError:
                self.producer.poll(0.1)
                continue
            with self.progress.lock:
                self.progress.sent += 1
            seq += 1
            self.producer.poll(0)
        self.producer.flush(60)

    def delivered(self, seq: int):
        def callback(error, message):
            with self.progress.lock:
                if error is not None:
                    self.progress.delivery_errors.append(f"seq {seq}: {error}")
                else:
                    self.progress.acked += 1
                    self.progress.acked_by_partition[message.partition()] += 1
                    self.progress.acked_seqs.add(seq)
        return callback


class ConsumerThread(threading.Thread):
    """Reads every partition from the beginning (assigned, no group rebalance) and records the sequence numbers."""

    def __init__(self, bootstrap: str, topic: str, progress: Progress):
        super().__init__(name="consumer", daemon=True)
        self.progress = progress
        self.stop_event = threading.Event()
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": f"{topic}-watcher", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100, "logger": quiet_logger()})
        self.consumer.assign([CkTopicPartition(topic, p, 0) for p in range(PARTITIONS)])

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                for message in self.consumer.consume(500, timeout=0.2):
                    if message.error():
                        if not message.error().retriable():
                            with self.progress.lock:
                                self.progress.consumer_errors.append(str(message.error()))
                        continue
                    seq = int(message.value().split(b"|", 1)[0])
                    with self.progress.lock:
                        self.progress.consumed += 1
                        self.progress.consumed_seqs.add(seq)
        finally:
            self.consumer.close()


class ProgressPrinter(threading.Thread):
    def __init__(self, progress: Progress, started: float):
        super().__init__(name="progress", daemon=True)
        self.progress = progress
        self.started = started
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(1.0):
            s = self.progress.snapshot()
            say(f"  [{time.monotonic() - self.started:5.1f}s] sent={s['sent']} acked={s['acked']} "
                f"(partition 0: {s['acked_p0']}) consumed={s['consumed']} errors={s['errors']}")


_print_lock = threading.Lock()


def say(text: str) -> None:
    with _print_lock:
        print(text, flush=True)


# Metadata ---------------------------------------------------------------------------------------------------------
def partition_state(admin: AdminClient, topic: str, partition: int) -> tuple[int, list[int], list[int]] | None:
    """(leader, replicas, isr) of one partition from a Metadata request, or None when no broker answered."""
    try:
        meta = admin.list_topics(topic, timeout=3).topics.get(topic)
    except KafkaException:
        return None
    if meta is None or meta.error is not None or partition not in meta.partitions:
        return None
    p = meta.partitions[partition]
    return p.leader, list(p.replicas), list(p.isrs)


def wait_state(admin, topic, partition, condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = partition_state(admin, topic, partition)
        if last is not None and condition(*last):
            return last
        time.sleep(0.1)
    raise DemoFailed(f"timed out after {timeout:.0f}s waiting for {what} (last metadata: {last})")


# The demo ---------------------------------------------------------------------------------------------------------
def run_demo(cluster: Cluster, topic: str, broker_env: dict[str, str]) -> int:
    if not any(port_open(cluster.broker_port(b)) for b in cluster.broker_ids):
        raise DemoFailed(f"no broker listens on ports {cluster.bootstrap}. Is the cluster running (`make cluster`)?")
    try:
        cluster.wait_ready(timeout=15)
    except SystemExit as e:
        raise DemoFailed(f"{e}. Is the cluster running (`make cluster`)?") from None
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap, "logger": quiet_logger()})
    say(f"Creating topic {topic}: {PARTITIONS} partitions, replication factor 3, min.insync.replicas=2")
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=PARTITIONS, replication_factor=3, config={"min.insync.replicas": "2"})],
        operation_timeout=30, request_timeout=30)
    try:
        futures[topic].result(timeout=40)
    except KafkaException as e:
        raise DemoFailed(f"could not create {topic}: {e}") from None
    for p in range(PARTITIONS):
        wait_state(admin, topic, p, lambda leader, replicas, isr: leader >= 0 and len(isr) == 3, 30,
                   f"partition {p} to have a leader and a full ISR")

    progress = Progress()
    started = time.monotonic()
    producer = ProducerThread(cluster.bootstrap, topic, progress)
    consumer = ConsumerThread(cluster.bootstrap, topic, progress)
    printer = ProgressPrinter(progress, started)
    killed: int | None = None
    try:
        for thread in (producer, consumer, printer):
            thread.start()
        say(f"Producing {RATE_PER_S} records/s (idempotent, acks=all) and consuming them")
        if not wait_for(lambda: progress.snapshot()["acked"] >= RATE_PER_S, 20):
            raise DemoFailed(f"the producer got no acknowledgements: {progress.snapshot()}, "
                             f"errors {progress.delivery_errors[:3]}")

        old_leader, replicas, isr = wait_state(admin, topic, 0, lambda leader, *_: leader >= 0, 10,
                                               "a leader of partition 0")
        say(f"Partition 0: leader {old_leader}, replicas {replicas}, ISR {isr}")
        name = f"broker-{old_leader}"
        pid = cluster.pid(name)
        if pid is None:
            raise DemoFailed(f"no running process for {name} in {cluster.dir} (pid file {cluster.pid_file(name)})")
        say(f"old leader: {old_leader}")
        say(f"kill -9 {pid} ({name})")
        t_kill = time.monotonic()
        cluster.kill_one(name)
        killed = old_leader

        new_leader, _, isr = wait_state(
            admin, topic, 0, lambda leader, *_: leader >= 0 and leader != old_leader, 60,
            f"a new leader of partition 0 (old leader {old_leader})")
        failover_s = time.monotonic() - t_kill
        say(f"new leader: {new_leader} (elected {failover_s:.1f}s after the kill; ISR {isr})")

        acked_p0 = progress.snapshot()["acked_p0"]
        if not wait_for(lambda: progress.snapshot()["acked_p0"] >= acked_p0 + 20, 30):
            raise DemoFailed(f"the producer did not carry on on partition 0: {progress.snapshot()}, "
                             f"errors {progress.delivery_errors[:3]}")
        resumed_s = time.monotonic() - t_kill
        say(f"The producer carries on: partition 0 acknowledgements {acked_p0} -> "
            f"{progress.snapshot()['acked_p0']} from leader {new_leader} ({resumed_s:.1f}s after the kill)")

        say(f"Restarting broker {old_leader}")
        restart_broker(cluster, name, broker_env)
        t_restart = time.monotonic()
        _, _, isr = wait_state(admin, topic, 0, lambda leader, replicas, isr: old_leader in isr, 90,
                               f"broker {old_leader} to rejoin the ISR of partition 0")
        killed = None
        rejoined_s = time.monotonic() - t_restart
        say(f"Broker {old_leader} is back in the ISR of partition 0: {sorted(isr)} "
            f"({rejoined_s:.1f}s after the restart)")
    except BaseException:
        consumer.stop_event.set()
        printer.stop_event.set()
        raise
    finally:
        producer.stop_event.set()
        if producer.is_alive():
            producer.join(90)
        if killed is not None and cluster.pid(f"broker-{killed}") is None:
            say(f"Restarting broker {killed} before exiting")
            restart_broker(cluster, f"broker-{killed}", broker_env)

    # Every acknowledged record must reach the consumer.
    caught_up = wait_for(lambda: progress_complete(progress), 60, interval=0.2)
    consumer.stop_event.set()
    printer.stop_event.set()
    consumer.join(30)
    printer.join(5)
    with progress.lock:
        missing = sorted(progress.acked_seqs - progress.consumed_seqs)
        acked, consumed, sent = progress.acked, progress.consumed, progress.sent
        errors = list(progress.delivery_errors), list(progress.consumer_errors)
    say("")
    say("Summary")
    say(f"  old leader: {old_leader}, new leader: {new_leader}, leader elected in {failover_s:.1f}s, "
        f"producer resumed after {resumed_s:.1f}s, broker {old_leader} back in the ISR {rejoined_s:.1f}s after "
        f"its restart")
    say(f"  sent {sent}, acknowledged {acked}, consumed {consumed} ({consumed - len(progress.consumed_seqs)} "
        f"duplicates), delivery errors {len(errors[0])}, consumer errors {len(errors[1])}")
    if not caught_up or missing:
        raise DemoFailed(f"{len(missing)} acknowledged records were not consumed (first: {missing[:10]})")
    if errors[1]:
        raise DemoFailed(f"the consumer saw errors: {errors[1][:3]}")
    say("  every acknowledged record was consumed")
    return 0


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def progress_complete(progress: Progress) -> bool:
    with progress.lock:
        return progress.acked_seqs <= progress.consumed_seqs


def restart_broker(cluster: Cluster, name: str, broker_env: dict[str, str]) -> None:
    saved = dict(cluster.extra_broker_env)
    cluster.extra_broker_env.update(broker_env)
    try:
        pid = cluster.start_one(name)
    finally:
        cluster.extra_broker_env = saved
    say(f"  {name} started, pid {pid}")


def parse_env(text: str) -> dict[str, str]:
    pairs = [item.split("=", 1) for item in text.split(",") if "=" in item]
    return {k.strip(): v.strip() for k, v in pairs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=os.environ.get("FJORD_CLUSTER_DIR", str(ROOT / ".cluster")))
    parser.add_argument("--port-offset", type=int, default=int(os.environ.get("FJORD_PORT_OFFSET", "0")))
    parser.add_argument("--bin", default=os.environ.get("FJORD_BIN_DIR"))
    parser.add_argument("--topic", default=f"failover-demo-{int(time.time())}")
    parser.add_argument("--broker-env", default="", help="KEY=VALUE,... for the restarted broker")
    args = parser.parse_args()
    cluster = Cluster(Path(args.dir), args.port_offset, Path(args.bin) if args.bin else None)
    started = time.monotonic()
    try:
        status = run_demo(cluster, args.topic, parse_env(args.broker_env))
    except DemoFailed as e:
        say(f"failover-demo: FAILED: {e}")
        return 1
    except KeyboardInterrupt:
        say("failover-demo: interrupted")
        return 130
    say(f"failover-demo: done in {time.monotonic() - started:.1f}s")
    return status


if __name__ == "__main__":
    sys.exit(main())
