"""Broker and controller failures with an idempotent acks=all producer running: kill -9 of a partition leader five
times in a row, kill -9 of a follower, kill -9 of the active controller, SIGTERM (controlled shutdown) of a leader.
After each: every acknowledged record consumed once and in order, replicas byte-identical up to the HW."""
import signal
import statistics
import threading
import time

from conftest import REPLICA_LAG_TIME_MAX_MS, SESSION_S, SESSION_TIMEOUT_MS, pid_alive
from harness import wait_until
from pcv import ProduceConsumeValidate, wait_registration_gone

#: Bound on waiting for the controller to drop a dead broker from the ISRs (session expiry, then one write).
REPLICA_WAIT = SESSION_S + 20


def test_kill_9_of_the_leader_five_times(whole, figures):
    c = whole
    runs = []
    with ProduceConsumeValidate(c, "kill-leader") as run:
        for i in range(5):
            partition = i % run.partitions
            leader = run.leader(partition)
            assert leader > 0, f"{run.topic}-{partition} has no leader before round {i}"
            t0 = time.monotonic()
            c.kill_one(f"broker-{leader}")
            probe = run.probe_failover(partition, leader, t0, timeout=SESSION_S + 30, label=f"probe{i}")
            client_s = run.producer.first_ack_of_record_produced_after(partition, t0, timeout=60)
            probe["client_first_ack_ms"] = round(client_s * 1000) if client_s is not None else None
            print(f"round {i}: killed leader {leader} of partition {partition}: {probe}")
            runs.append(probe)
            c.start_one(f"broker-{leader}")
            c.wait_isr_full(run.topic, 90)
            run.producer.wait_for_acks(10, timeout=60, since=time.monotonic(), what=f"acks after round {i}")
        run.finish()
    acks = [r["first_ack_ms"] for r in runs]
    figures["kill9_leader_to_first_ack"] = {
        "description": "kill -9 of a partition leader until the first acks=all produce acknowledged by the new "
                       "leader (raw Produce v7 to the leader ZooKeeper names); client_first_ack_ms is the first "
                       "delivery report of a record the confluent-kafka producer sent after the kill",
        "session_timeout_ms": SESSION_TIMEOUT_MS,
        "rounds": runs,
        "median_ms": statistics.median(acks),
        "max_ms": max(acks),
    }


def test_kill_9_of_a_follower(whole):
    c = whole
    # Broker 3 follows every partition and leads none: killing it removes only a follower.
    assignment = {0: [1, 2, 3], 1: [2, 1, 3], 2: [1, 2, 3]}
    with ProduceConsumeValidate(c, "kill-follower", assignment) as run:
        c.kill_one("broker-3")
        t_kill = time.monotonic()
        wait_registration_gone(c, 3, SESSION_S + 15)
        # The ISR drops the dead follower and acks=all continues on the remaining two.
        wait_until(lambda: all(3 not in s["isr"] for s in c.states(run.topic).values()), REPLICA_WAIT,
                   "broker 3 to leave every ISR")
        run.producer.wait_for_acks(30, timeout=30, since=time.monotonic(), what="acks with broker 3 down")
        stall = max(run.producer.first_ack_of_record_produced_after(p, t_kill, 30) or 99 for p in range(3))
        print(f"acks=all resumed on every partition {stall:.2f}s after the follower died")
        c.start_one("broker-3")
        run.finish()


def test_kill_9_of_the_active_controller(whole, figures):
    c = whole
    with ProduceConsumeValidate(c, "kill-controller") as run:
        active = c.active_controller()
        assert active in c.controller_ids
        t0 = time.monotonic()
        c.kill_one(f"controller-{active}")
        standby = wait_until(lambda: (a := c.active_controller()) not in (None, active) and a, SESSION_S + 20,
                             "the standby controller to take over")
        takeover_ms = round((time.monotonic() - t0) * 1000)
        print(f"controller {active} killed; controller {standby} active after {takeover_ms} ms")
        # Producing went on: the data path does not need a controller.
        run.producer.wait_for_acks(20, timeout=30, since=t0, what="acks while the controller failed over")
        # The new controller handles a broker failure: kill -9 the leader of partition 0.
        leader = run.leader(0)
        t1 = time.monotonic()
        c.kill_one(f"broker-{leader}")
        probe = run.probe_failover(0, leader, t1, timeout=SESSION_S + 30, label="probe-after-controller")
        print(f"new controller moved partition 0 from broker {leader}: {probe}")
        c.start_one(f"broker-{leader}")
        c.start_one(f"controller-{active}")
        run.finish()
        # The restarted controller is a standby.
        assert c.active_controller() == standby
    figures["controller_failover"] = {"kill9_to_standby_active_ms": takeover_ms,
                                      "session_timeout_ms": SESSION_TIMEOUT_MS,
                                      "then_leader_kill9_to_first_ack_ms": probe["first_ack_ms"]}


SIGTERM_ROUNDS = 3


def test_sigterm_of_a_leader_moves_leadership_first(whole, figures):
    """Controlled shutdown, three rounds (the leader of partition 0, 1, 2 in turn, restarted each time). The new
    leader must acknowledge acks=all writes well before a crash would have been detected: the bound asserted is
    the ZooKeeper session timeout; the target, reported, is 1 s."""
    c = whole
    rounds = []
    with ProduceConsumeValidate(c, "sigterm-leader") as run:
        for i in range(SIGTERM_ROUNDS):
            partition = i % run.partitions
            leader = run.leader(partition)
            pid = c.pid(f"broker-{leader}")
            led_before = [p for p in range(run.partitions) if run.leader(p) == leader]
            exited_at: list[float] = []
            watcher = threading.Thread(target=lambda: exited_at.append(wait_until(
                lambda: not pid_alive(pid) and time.monotonic(), 30, f"broker {leader} to exit", 0.005)))
            t0 = time.monotonic()
            c.signal(f"broker-{leader}", signal.SIGTERM)
            watcher.start()
            probe = run.probe_failover(partition, leader, t0, timeout=30, label=f"probe-sigterm{i}")
            watcher.join(35)
            assert exited_at, f"broker {leader} did not exit within 30 s of SIGTERM"
            probe["process_exited_ms"] = round((exited_at[0] - t0) * 1000)
            client_s = run.producer.first_ack_of_record_produced_after(partition, t0, timeout=30)
            probe["client_first_ack_ms"] = round(client_s * 1000) if client_s is not None else None
            print(f"round {i}: SIGTERM to leader {leader} (led partitions {led_before}): {probe}")
            rounds.append(probe)
            c.start_one(f"broker-{leader}")
            c.wait_isr_full(run.topic, 60)
            run.producer.wait_for_acks(10, timeout=60, since=time.monotonic(), what=f"acks after round {i}")
        run.finish()
    acks = [r["first_ack_ms"] for r in rounds]
    figures["sigterm_leader_to_first_ack"] = {
        "description": "SIGTERM (controlled shutdown) of a partition leader until the first acks=all produce "
                       "acknowledged by the new leader; target under 1 s",
        "rounds": rounds, "median_ms": statistics.median(acks), "max_ms": max(acks),
        "session_timeout_ms": SESSION_TIMEOUT_MS,
    }
    if max(acks) >= 1000:
        print(f"NOTE: controlled-shutdown failover took up to {max(acks)} ms, above the 1 s target")
    slow = [r for r in rounds if r["first_ack_ms"] >= SESSION_TIMEOUT_MS]
    assert not slow, (f"after a controlled shutdown the new leader acknowledged nothing for longer than the "
                      f"session timeout ({SESSION_TIMEOUT_MS} ms): {slow}")


def longest_ack_gap(acks, partition: int, t0: float, t1: float) -> float:
    """The longest time between consecutive acknowledgements of `partition` within [t0, t1] (bounds included)."""
    times = [t0] + sorted(a.t_ack for a in acks if a.partition == partition and t0 <= a.t_ack <= t1) + [t1]
    return max(b - a for a, b in zip(times, times[1:]))


def test_sigterm_of_a_follower_does_not_stall_acks(whole, figures):
    """A rolling restart's other half: controlled shutdown of a broker that only follows. The leaders drop it from
    their ISRs at once (the controller shrinks them), so acks=all must go on; the longest gap between
    acknowledgements on any partition is asserted below the session timeout and reported."""
    c = whole
    assignment = {0: [1, 2, 3], 1: [2, 1, 3], 2: [1, 2, 3]}
    with ProduceConsumeValidate(c, "sigterm-follower", assignment) as run:
        pid = c.pid("broker-3")
        t0 = time.monotonic()
        c.signal("broker-3", signal.SIGTERM)
        wait_until(lambda: not pid_alive(pid), 30, "broker 3 to exit after SIGTERM", 0.005)
        exited_ms = round((time.monotonic() - t0) * 1000)
        # Watch the producer for a while after the exit: its acknowledgements must keep coming.
        window_end = time.monotonic() + REPLICA_LAG_TIME_MAX_MS / 1000 + 2
        run.producer.wait_for_acks(1, timeout=60, since=window_end, what="acknowledgements after the window")
        acks, _ = run.producer.snapshot()
        gaps = {p: round(longest_ack_gap(acks, p, t0, window_end) * 1000) for p in range(run.partitions)}
        print(f"SIGTERM to follower 3: exited after {exited_ms} ms; longest gap between acks per partition {gaps} ms; "
              f"ISR now {[s['isr'] for s in c.states(run.topic).values()]}")
        c.start_one("broker-3")
        run.finish()
    figures["sigterm_follower_longest_ack_gap_ms"] = {"per_partition": gaps, "process_exited_ms": exited_ms,
                                                      "replica_lag_time_max_ms": REPLICA_LAG_TIME_MAX_MS}
    assert max(gaps.values()) < SESSION_TIMEOUT_MS, (
        f"acks=all stalled for {max(gaps.values())} ms after a follower's controlled shutdown: {gaps} "
        f"(the leaders' logs: {c.log_lines('broker-1', 'ISR', within=run.topic, last=6)})")
