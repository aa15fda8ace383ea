"""kill -9 of two of the three replicas: with min.insync.replicas=2 the survivor must refuse acks=all writes with
NOT_ENOUGH_REPLICAS and acknowledge nothing, however long the outage; once the two are back every write the
producer kept retrying is acknowledged, and nothing acknowledged is lost."""
import time

from confluent_kafka import KafkaError, Producer

import kafka_wire as wire
from conftest import SESSION_S
from harness import wait_until
from pcv import ProduceConsumeValidate

OBSERVATION_S = 4.0
REFUSED = b"refused"


def test_kill_9_of_two_of_three_replicas(whole):
    c = whole
    with ProduceConsumeValidate(c, "two-down") as run:
        survivor = run.leader(0)
        victims = [b for b in c.broker_ids if b != survivor]
        t_kill = time.monotonic()
        for b in victims:
            c.kill_one(f"broker-{b}")
        wait_until(lambda: not set(victims) & set(c.live_brokers()), SESSION_S + 15,
                   f"brokers {victims}' registrations to expire")
        # The controller (or the survivor's ISR shrink) leaves the survivor alone in every ISR, leading.
        states = wait_until(lambda: (s := c.states(run.topic)) and all(
            x["leader"] == survivor and x["isr"] == [survivor] for x in s.values()) and s, SESSION_S + 20,
            f"broker {survivor} to lead every partition with ISR [{survivor}]")
        # ... and the survivor has applied that state (it answers in the new leader epoch).
        wait_until(lambda: all(c.serves_epoch(run.topic, p, states[p]) for p in states), 10,
                   f"broker {survivor} to take up the new leader epochs {[s['leader_epoch'] for s in states.values()]}")
        t_window = time.monotonic()
        late_acks = run.producer.acks_between(t_kill, t_window)

        # A raw acks=all write to the survivor, per partition: NOT_ENOUGH_REPLICAS, nothing appended.
        raw = {}
        for p in range(run.partitions):
            error, _ = wire.produce(*c.client_address(survivor), run.topic, p,
                                    wire.record_batch([REFUSED + b"-raw"]), acks=-1, timeout_ms=3000)
            raw[p] = wire.error_name(error)
        # A real client with no retries sees the same error.
        reports = []
        refused = Producer({"bootstrap.servers": c.bootstrap_one(survivor), "acks": "all", "retries": 0,
                            "message.timeout.ms": 8000, "request.timeout.ms": 5000, "linger.ms": 0,
                            "log_level": 2})
        for p in range(run.partitions):
            refused.produce(run.topic, value=REFUSED + b"-client", partition=p,
                            on_delivery=lambda err, msg: reports.append((msg.partition(), err)))
        remaining = refused.flush(20)
        del refused
        client = {p: (err.name() if err else "acknowledged") for p, err in reports}

        # The idempotent producer keeps retrying: none of its records may be acknowledged while two are down.
        def acked_in_window():
            got = run.producer.acks_between(t_window, time.monotonic())
            if got:
                raise AssertionError(f"{len(got)} records acknowledged with two replicas down, e.g. {got[:3]}")
            return time.monotonic() - t_window >= OBSERVATION_S
        wait_until(acked_in_window, OBSERVATION_S + 5, "the observation window to pass", interval=0.1)
        t_restart = time.monotonic()
        during = run.producer.acks_between(t_window, t_restart)
        print(f"two replicas down: raw acks=all {raw}; confluent-kafka {client} (undelivered {remaining}); "
              f"{len(late_acks)} acks between the kill and the ISR shrink; {len(during)} acks in "
              f"{t_restart - t_window:.1f}s after it")
        assert set(raw.values()) == {"NOT_ENOUGH_REPLICAS"}, f"raw acks=all writes to the survivor: {raw}"
        assert remaining == 0 and len(client) == run.partitions, f"client delivery reports missing: {client}"
        assert set(client.values()) <= {"NOT_ENOUGH_REPLICAS", "_MSG_TIMED_OUT"}, client
        assert "NOT_ENOUGH_REPLICAS" in client.values(), f"confluent-kafka saw {client}"
        assert not during

        for b in victims:
            c.start_one(f"broker-{b}")
        # finish() waits for the full ISR and for new acknowledgements on every partition, then validates;
        # records the client was refused must not be in the log.
        run.finish(forbidden_prefixes=(REFUSED,))
