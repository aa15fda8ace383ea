"""One consumer-group member as its own process, so tests can kill -9 or SIGSTOP it for real.

Runs kafka-python (`--client kp`; 2.0.2 or 3.x, whichever the interpreter has) or confluent-kafka (`--client ck`),
subscribes to one topic in a group and, per polled batch: appends every record to `<dir>/records.log`, flushes,
then commits the batch's offsets synchronously (unless `--no-commit`) and logs each completed commit. Lines of
records.log (times are time.time()):

    R <t> <partition> <offset>        a record handed to the application
    C <t> <partition> <next offset>   a commit the coordinator acknowledged
    A <t> <partitions, comma-separated>  the assignment after a rebalance callback
    E <t> <text>                      an error seen by the application

`<dir>/state.json` (replaced atomically, at most every 0.2 s and after each event) holds the member id, generation
(kafka-python only), assignment, counters and commit errors. Once the file `--pause-file` exists the process stops
itself (SIGSTOP: a GC pause or frozen VM at the worst moment) just before committing its next batch; once resumed
(SIGCONT from the test) it goes on with that commit, marked with metadata "zombie", and records its outcome under
"zombie" in state.json.

SIGTERM (or `--max-seconds`) ends the loop; the consumer is closed (it leaves the group) and state.json gets
"done": true."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time

STOP = False


def on_sigterm(*_):
    global STOP
    STOP = True


class Member:
    def __init__(self, args):
        self.args = args
        self.dir = args.dir
        os.makedirs(self.dir, exist_ok=True)
        self.log = open(os.path.join(self.dir, "records.log"), "a", buffering=1 << 16)
        self.state = {"pid": os.getpid(), "client": args.client, "member_id": None, "generation": None,
                      "assignment": [], "consumed": 0, "commits": 0, "commit_errors": [], "errors": [],
                      "coordinator_errors": [], "zombie": None, "done": False, "rebalances": 0,
                      "started": time.time()}
        self.next_offsets: dict[int, int] = {}
        self.last_state_write = 0.0

    def line(self, kind: str, *fields) -> None:
        self.log.write(f"{kind} {time.time():.6f} " + " ".join(str(f) for f in fields) + "\n")

    def flush(self) -> None:
        self.log.flush()

    def write_state(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_state_write < 0.2:
            return
        self.last_state_write = now
        self.state["t"] = time.time()
        path = os.path.join(self.dir, "state.json")
        with open(path + ".tmp", "w") as f:
            json.dump(self.state, f)
        os.replace(path + ".tmp", path)

    def assigned(self, partitions: list[int]) -> None:
        self.state["assignment"] = sorted(partitions)
        self.state["rebalances"] += 1
        self.line("A", ",".join(str(p) for p in sorted(partitions)))
        self.flush()

    def error(self, text: str) -> None:
        self.state["errors"] = (self.state["errors"] + [text])[-20:]
        self.line("E", text.replace("\n", " "))


class CoordinatorLog(logging.Handler):
    """Collects kafka-python's messages about rejected commits and heartbeats (their error names)."""

    NEEDLES = ("IllegalGeneration", "UnknownMemberId", "RebalanceInProgress", "NotCoordinator",
               "FencedInstanceId", "generation id is not current", "member_id was not recognized",
               "OffsetCommit for group", "Heartbeat failed", "Heartbeat session expired")

    def __init__(self, member: Member):
        super().__init__(logging.DEBUG)
        self.member = member

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:
            return
        if any(n in text for n in self.NEEDLES):
            errors = self.member.state["coordinator_errors"]
            errors.append(f"{time.time():.3f} {text}"[:300])
            del errors[:-40]


# kafka-python -------------------------------------------------------------------------------------------------------
def run_kafka_python(args, member: Member) -> None:
    from kafka import KafkaConsumer, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.structs import OffsetAndMetadata
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    assignors = {"range": [RangePartitionAssignor], "roundrobin": [RoundRobinPartitionAssignor],
                 "range,roundrobin": [RangePartitionAssignor, RoundRobinPartitionAssignor]}
    if args.assignor == "sticky":
        from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
        assignors["sticky"] = [StickyPartitionAssignor]
    if args.assignor == "cooperative-sticky":  # kafka-python 3.x only (KIP-429)
        from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
        assignors["cooperative-sticky"] = [CooperativeStickyAssignor]
    three_fields = len(OffsetAndMetadata._fields) == 3

    def oam(offset: int, metadata: str):
        return OffsetAndMetadata(offset, metadata, -1) if three_fields else OffsetAndMetadata(offset, metadata)

    handler = CoordinatorLog(member)
    for name in ("kafka.coordinator", "kafka.coordinator.consumer", "kafka.coordinator.base"):
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).addHandler(handler)

    config = dict(bootstrap_servers=args.bootstrap, group_id=args.group, enable_auto_commit=False,
                  auto_offset_reset=args.offset_reset, session_timeout_ms=args.session_ms,
                  heartbeat_interval_ms=args.heartbeat_ms, max_poll_interval_ms=args.max_poll_ms,
                  partition_assignment_strategy=assignors[args.assignor], client_id=args.client_id,
                  request_timeout_ms=max(30_000, args.session_ms + 5_000))
    if args.instance_id:
        config["group_instance_id"] = args.instance_id
    consumer = KafkaConsumer(**config)

    def generation():
        g = consumer._coordinator._generation
        member.state["member_id"] = g.member_id or None
        member.state["generation"] = g.generation_id if g.generation_id >= 0 else None

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            member.line("A", "-" + ",".join(str(tp.partition) for tp in sorted(revoked)))
            # Eager: everything goes (a new assignment follows); cooperative: only `revoked` goes.
            member.state["assignment"] = sorted(tp.partition for tp in consumer.assignment() if tp not in revoked)

        def on_partitions_assigned(self, assigned):
            generation()
            member.assigned([tp.partition for tp in consumer.assignment()])
            member.write_state(force=True)

    # kafka-python's leader rejoins whenever its snapshot of the subscribed topics' partitions (rebuilt on each
    # metadata update, for the topics subscribed at that moment) differs from the one it assigned against. Right
    # after subscribe() that snapshot is still empty, so a leader that assigns before the next update rejoins as
    # soon as the update lands; and 3.0.12 can then lose its own assignment when a poll() times out during that
    # rejoin (its join loop exits on need_rejoin() == False without completing the finished join, leaving the
    # member without partitions or heartbeats until its session expires) -- seen with a member paused mid-join.
    # topics() always fetches metadata, so calling it after subscribe() fills the snapshot before the first
    # JoinGroup. (Client behaviour: the same happens against Kafka.)
    consumer.subscribe([args.topic], listener=Listener())
    deadline = time.monotonic() + 30
    while args.topic not in consumer.topics() and time.monotonic() < deadline:
        time.sleep(0.1)

    def commit(offsets: dict[int, int], metadata: str = "") -> list[str]:
        """Commits synchronously; returns [] or the error (exception class and text)."""
        try:
            consumer.commit({TopicPartition(args.topic, p): oam(o, metadata) for p, o in offsets.items()})
        except Exception as e:  # CommitFailedError and friends: the member is no longer in the generation
            return [f"{type(e).__name__}: {e}"[:300]]
        return []

    deadline = time.monotonic() + args.max_seconds
    while not STOP and time.monotonic() < deadline:
        try:
            batch = consumer.poll(timeout_ms=500, max_records=args.max_records)
        except Exception as e:
            member.error(f"poll: {type(e).__name__}: {e}")
            generation()
            member.write_state()
            time.sleep(0.1)
            continue
        generation()
        process_batch(member, args, [(tp.partition, r.offset) for tp, recs in batch.items() for r in recs], commit)
    consumer.close(autocommit=False)


# confluent-kafka ----------------------------------------------------------------------------------------------------
def run_confluent(args, member: Member) -> None:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    config = {"bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False,
              "auto.offset.reset": args.offset_reset, "session.timeout.ms": args.session_ms,
              "heartbeat.interval.ms": args.heartbeat_ms, "max.poll.interval.ms": args.max_poll_ms,
              "partition.assignment.strategy": args.assignor, "client.id": args.client_id,
              "topic.metadata.refresh.interval.ms": 2000, "error_cb": lambda e: member.error(f"error_cb: {e}")}
    if args.debug:
        config["debug"] = "cgrp,consumer"
    if args.instance_id:
        config["group.instance.id"] = args.instance_id
    consumer = Consumer(config)
    cooperative = args.assignor == "cooperative-sticky"

    def current() -> list[int]:
        return [tp.partition for tp in consumer.assignment()]

    def on_assign(c, partitions):
        # Eager: the callback gets the whole new assignment (applied after it returns); cooperative: the
        # partitions added, which the application assigns itself.
        if cooperative:
            c.incremental_assign(partitions)
            member.assigned(current())
        else:
            member.assigned([tp.partition for tp in partitions])
        member.state["member_id"] = c.memberid()
        member.write_state(force=True)

    def on_revoke(c, partitions):
        member.line("A", "-" + ",".join(str(tp.partition) for tp in partitions))
        if cooperative:
            c.incremental_unassign(partitions)
            member.state["assignment"] = sorted(current())
        else:
            member.state["assignment"] = []

    def on_lost(c, partitions):
        member.error("partitions lost: " + ",".join(str(tp.partition) for tp in partitions))
        on_revoke(c, partitions)

    consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)

    def commit(offsets: dict[int, int], metadata: str = "") -> list[str]:
        tps = [TopicPartition(args.topic, p, o, metadata) if metadata else TopicPartition(args.topic, p, o)
               for p, o in offsets.items()]
        try:
            result = consumer.commit(offsets=tps, asynchronous=False)
        except KafkaException as e:
            err = e.args[0]
            return [f"{err.name()}: {err.str()}"]
        return [f"{tp.error.name()}: partition {tp.partition}" for tp in result or [] if tp.error]

    deadline = time.monotonic() + args.max_seconds
    while not STOP and time.monotonic() < deadline:
        messages = consumer.consume(num_messages=args.max_records, timeout=0.2)
        records = []
        assigned = set(member.state["assignment"])
        for m in messages:
            if m.error():
                member.error(f"consume: {m.error()}")
                continue
            if m.partition() not in assigned:
                # Fetched before a rebalance callback (served inside consume()) revoked the partition: its new
                # owner reads it from the committed offset, so processing it here would be a duplicate.
                member.state["dropped_after_revoke"] = member.state.get("dropped_after_revoke", 0) + 1
                continue
            records.append((m.partition(), m.offset()))
        try:
            member.state["member_id"] = consumer.memberid()
        except Exception:
            pass
        process_batch(member, args, records, commit)
    consumer.close()


# Shared -------------------------------------------------------------------------------------------------------------
def process_batch(member: Member, args, records: list[tuple[int, int]], commit) -> None:
    if records:
        batch_next: dict[int, int] = {}
        for partition, offset in records:
            member.line("R", partition, offset)
            batch_next[partition] = max(batch_next.get(partition, 0), offset + 1)
        member.flush()
        member.state["consumed"] += len(records)
        member.next_offsets.update(batch_next)
        if args.pause_file and os.path.exists(args.pause_file) and member.state["zombie"] is None:
            zombie_commit(member, batch_next, commit)
        elif not args.no_commit:
            errors = commit(batch_next)
            if errors:
                member.state["commit_errors"] = (member.state["commit_errors"] + errors)[-20:]
                member.line("E", "commit failed: " + "; ".join(errors))
            else:
                for partition, offset in sorted(batch_next.items()):
                    member.line("C", partition, offset)
                member.state["commits"] += 1
                member.state["last_commit"] = {**member.state.get("last_commit", {}),
                                               **{str(p): o for p, o in batch_next.items()}}
            member.flush()
        if args.batch_delay_ms:
            time.sleep(args.batch_delay_ms / 1000)
    member.write_state()


def zombie_commit(member: Member, offsets: dict[int, int], commit) -> None:
    """Stops this process (SIGSTOP) before committing `offsets`; once resumed, commits them with metadata "zombie"
    (no poll in between, so the client still believes in its old generation) and records the outcome."""
    before = {"member_id": member.state["member_id"], "generation": member.state["generation"],
              "assignment": member.state["assignment"], "offsets": {str(p): o for p, o in offsets.items()}}
    member.state["pausing"] = before
    member.write_state(force=True)
    member.flush()
    stopped = time.monotonic()
    os.kill(os.getpid(), signal.SIGSTOP)
    paused_s = time.monotonic() - stopped
    resumed = time.time()
    errors = commit(offsets, "zombie")
    member.state["zombie"] = {**before, "paused_s": round(paused_s, 3), "resumed": resumed, "errors": errors,
                              "accepted": not errors}
    member.line("E", f"zombie commit after a {paused_s:.1f}s pause: {errors or 'accepted'}")
    member.flush()
    member.write_state(force=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", choices=["kp", "ck"], required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--assignor", default="range")
    ap.add_argument("--client-id", default="fjord-groups")
    ap.add_argument("--instance-id")
    ap.add_argument("--offset-reset", default="earliest")
    ap.add_argument("--session-ms", type=int, default=6000)
    ap.add_argument("--heartbeat-ms", type=int, default=300)
    ap.add_argument("--max-poll-ms", type=int, default=30_000)
    ap.add_argument("--max-records", type=int, default=200)
    ap.add_argument("--batch-delay-ms", type=int, default=0)
    ap.add_argument("--pause-file", help="once this file exists, stop this process (SIGSTOP) before the next commit")
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--no-commit", action="store_true")
    ap.add_argument("--debug", action="store_true", help="the client's debug log on stderr")
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for h in logging.getLogger().handlers:
        h.setLevel(logging.DEBUG if args.debug else logging.WARNING)
    if args.debug:
        logging.getLogger("kafka").setLevel(logging.DEBUG)
    signal.signal(signal.SIGTERM, on_sigterm)
    member = Member(args)
    member.write_state(force=True)
    try:
        (run_kafka_python if args.client == "kp" else run_confluent)(args, member)
    except Exception as e:
        member.error(f"fatal: {type(e).__name__}: {e}")
        member.state["fatal"] = f"{type(e).__name__}: {e}"
    member.state["done"] = True
    member.flush()
    member.write_state(force=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
