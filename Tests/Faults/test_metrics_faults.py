"""Metrics under failure, and the failover demo (`make failover-demo`) run against the fault cluster.

kill -9 of a broker makes the leaders of the partitions it followed report under-replicated partitions once the
controller has taken it out of their ISRs (session expiry); after a restart and catch-up the count is 0 again and
the leaders count ISR expansions. The demo kills the leader of a partition while a producer and a consumer run and
must finish on its own, exit 0 and name the old and new leader."""
import re
import subprocess
import sys
import time

import prometheus_text
import zkread
from conftest import PORT_OFFSET, ROOT, SESSION_S
from harness import wait_until
from pcv import wait_registration_gone


def scrape(cluster, broker: int) -> prometheus_text.Metrics:
    return prometheus_text.scrape(cluster.broker_metrics_port(broker))


def active_controller_metrics(cluster) -> prometheus_text.Metrics:
    for c in cluster.controller_ids:
        try:
            m = prometheus_text.scrape(cluster.controller_metrics_port(c))
        except OSError:
            continue
        if m.value("fjord_controller_active") == 1:
            return m
    raise AssertionError("no controller reports fjord_controller_active 1")


def offline_in_zookeeper(cluster) -> int:
    """Partitions of every topic whose state in ZooKeeper names no leader."""
    with zkread.reader(cluster.zk_port) as zk:
        topics = zk.children("/brokers/topics")
    count = 0
    for topic in topics:
        try:
            count += sum(1 for state in cluster.states(topic).values() if state["leader"] < 0)
        except zkread.NoNode:  # deleted meanwhile
            pass
    return count


def under_replicated(cluster, brokers) -> dict[int, float]:
    return {b: scrape(cluster, b).value("fjord_broker_under_replicated_partitions") for b in brokers}


def test_killing_a_broker_raises_under_replicated_partitions_on_the_others(whole):
    c = whole
    topic = f"metrics-urp-{int(time.time())}"
    # Broker 3 follows every partition and leads none, so the leaders (1 and 2) stay up and report.
    c.create_topic(topic, {0: [1, 2, 3], 1: [2, 1, 3], 2: [1, 2, 3]})
    wait_until(lambda: all(v == 0 for v in under_replicated(c, c.broker_ids).values()), 60,
               "no under-replicated partition anywhere before the kill")
    expands_before = sum(scrape(c, b).value("fjord_broker_isr_expands_total") for b in (1, 2))

    c.kill_one("broker-3")
    t_kill = time.monotonic()
    wait_registration_gone(c, 3, SESSION_S + 15)
    raised = wait_until(lambda: (u := under_replicated(c, (1, 2))) and sum(u.values()) >= 3 and u, SESSION_S + 30,
                        "brokers 1 and 2 to report the partitions broker 3 followed as under-replicated")
    print(f"under-replicated partitions {raised} {time.monotonic() - t_kill:.1f}s after kill -9 of broker 3")
    controller = active_controller_metrics(c)
    assert controller.value("fjord_controller_live_brokers") == 2
    assert all(state["leader"] in (1, 2) for state in c.states(topic).values())  # this topic kept its leaders
    # Earlier tests may leave partitions whose only ISR member was broker 3 (unclean election is off): those are
    # offline now. The gauges must count exactly the partitions ZooKeeper shows without a leader.
    leaderless = wait_until(lambda: (n := offline_in_zookeeper(c)) == active_controller_metrics(c).value(
        "fjord_controller_offline_partitions") and (n,), 20, "the controller's offline gauge to match ZooKeeper")[0]
    for b in (1, 2):
        wait_until(lambda: scrape(c, b).value("fjord_broker_metadata_offline_partitions") == leaderless, 20,
                   f"broker {b}'s offline gauge to match ZooKeeper ({leaderless})")

    c.start_one("broker-3")
    t_start = time.monotonic()
    c.wait_isr_full(topic, 90)
    wait_until(lambda: all(v == 0 for v in under_replicated(c, c.broker_ids).values()), 60,
               "no under-replicated partition on any broker after broker 3 caught up")
    print(f"under-replicated partitions back to 0 {time.monotonic() - t_start:.1f}s after the restart")
    expands = sum(scrape(c, b).value("fjord_broker_isr_expands_total") for b in (1, 2)) - expands_before
    assert expands >= 3, f"the leaders counted {expands} ISR expansions for 3 partitions rejoined by broker 3"
    restarted = scrape(c, 3)
    assert restarted.value("fjord_zookeeper_session_state", state="connected") == 1
    assert prometheus_text.fetch(c.broker_metrics_port(3), "/health")[0] == 200


def test_failover_demo_runs_unattended_and_names_both_leaders(whole, figures):
    c = whole
    elections_before = active_controller_metrics(c).value("fjord_controller_leader_elections_total", kind="clean")
    env = ",".join(f"{k}={v}" for k, v in c.extra_broker_env.items())
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "failover_demo.py"), "--dir", str(c.dir), "--port-offset",
         str(PORT_OFFSET), "--bin", str(c.bin), "--broker-env", env],
        capture_output=True, text=True, timeout=240)
    elapsed = time.monotonic() - started
    print(proc.stdout)
    assert proc.returncode == 0, f"failover demo exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    old = re.search(r"^old leader: (\d+)$", proc.stdout, re.MULTILINE)
    new = re.search(r"^new leader: (\d+) ", proc.stdout, re.MULTILINE)
    assert old and new, f"the demo did not print both leaders:\n{proc.stdout}"
    assert old.group(1) != new.group(1)
    assert "every acknowledged record was consumed" in proc.stdout
    assert elapsed < 60, f"the demo took {elapsed:.0f}s"
    # The controller counted the election it made for the killed leader's partitions.
    elections = active_controller_metrics(c).value("fjord_controller_leader_elections_total", kind="clean")
    assert elections > elections_before
    figures["failover_demo"] = {"description": "scripts/failover_demo.py against the fault cluster",
                                "seconds": round(elapsed, 1), "old_leader": int(old.group(1)),
                                "new_leader": int(new.group(1))}
