"""Consumer groups when the coordinator's broker dies: kill -9 of the broker coordinating a group of three members
(kafka-python 2.0.2, 3.x, confluent-kafka; each its own process, consuming slowly and committing every batch). The
group finds the new coordinator (FindCoordinator follows the owner znode, which vanishes with the dead broker's
session), which loads the group from ZooKeeper; the members go on from the committed offsets.

Checked: every commit acknowledged before the kill is still there (the new coordinator's OffsetFetch is at least
it, partition by partition); every record is consumed; a record is consumed twice only if it lay past the group's
committed offset when it was read again; the final commits reach the end; the group ends Stable with all three
members at a live broker. Groups without members that the dead broker coordinated, and that nobody has touched
since, are listed by the brokers that would now coordinate them (ListGroups) and keep their offsets. The failover
time (kill to the first commit acknowledged by the new coordinator) goes to the figures."""
from __future__ import annotations

import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import SESSION_TIMEOUT_MS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Integration" / "clients"))
import groups_support as gs  # noqa: E402
import groups_wire as gw  # noqa: E402

PARTITIONS = 6
RECORDS = 9000
MEMBER = dict(session_ms=6000, heartbeat_ms=300, max_poll_ms=10_000, max_records=20, batch_delay_ms=100)
RESULTS: dict[str, dict] = {}


def live_addresses(cluster) -> dict[int, tuple[str, int]]:
    return {b: cluster.client_address(b) for b in cluster.broker_ids if cluster.pid(f"broker-{b}")}


def coordinator(cluster, group: str) -> int:
    return gs.wait_for(lambda: gw.coordinator_of(list(live_addresses(cluster).values()), group), 60,
                       f"a coordinator for {group}")


def balanced(members) -> bool:
    states = [m.state() for m in members]
    parts = sorted(p for s in states for p in s.get("assignment", []))
    return parts == list(range(PARTITIONS)) and all(len(s.get("assignment", [])) == 2 for s in states)


def stable_at(cluster, node: int, group: str, members) -> bool:
    with gw.Connection(*cluster.client_address(node)) as c:
        [d] = gw.describe_groups(c, [group])
    reported = {m.state().get("member_id") for m in members}
    return d.error == gw.NONE and d.state == "Stable" and {m["member_id"] for m in d.members} == reported


def fetch_committed(cluster, node: int, group: str, topic: str) -> dict[int, int] | None:
    with gw.Connection(*cluster.client_address(node), timeout=5) as c:
        error, offsets = gw.offset_fetch(c, group, {topic: list(range(PARTITIONS))})
    if error != gw.NONE:
        return None
    return {p: o for (t, p), (o, _, e) in offsets.items() if t == topic and e == gw.NONE}


CASES = [("kp2", 6000), ("kp3", 6000), ("ck", 6000), ("ck", 2000)]


def idle_groups_at(c, node: int, topic: str, prefix: str, count: int = 3) -> list[str]:
    """`count` groups coordinated by broker `node`, holding one committed offset (42 on partition 0) each and no
    members (simple commits)."""
    chosen = []
    for i in range(200):
        name = f"{prefix}-idle-{i}"
        if coordinator(c, name) != node:
            continue
        with gw.Connection(*c.client_address(node)) as conn:
            assert gw.offset_commit(conn, name, -1, "", {(topic, 0): 42}) == {(topic, 0): gw.NONE}
        chosen.append(name)
        if len(chosen) == count:
            return chosen
    raise AssertionError(f"no {count} group ids coordinated by broker {node}")


@pytest.mark.parametrize("client,session_ms", CASES, ids=[f"{c}-session-{s}ms" for c, s in CASES])
def test_coordinator_broker_kill_9(whole, figures, client, session_ms, tmp_path):
    """With 6 s member sessions the new coordinator loads the group Stable and the members' heartbeats carry on in
    the same generation (no rebalance, as in Kafka). With 2 s sessions (shorter than the dead broker's ZooKeeper
    session) confluent-kafka gives up on the old coordinator first and rejoins: the new coordinator rebalances the
    group and the members resume from the committed offsets."""
    c = whole
    member = MEMBER | {"session_ms": session_ms, "max_poll_ms": max(MEMBER["max_poll_ms"], session_ms)}
    topic = f"groups-coord-{client}-{uuid.uuid4().hex[:6]}"
    group = f"{topic}-g"
    c.create_topic(topic, {p: [1 + (p + i) % 3 for i in range(3)] for p in range(PARTITIONS)})
    bootstrap = c.bootstrap
    produced = gs.produce(bootstrap, topic, RECORDS, PARTITIONS)
    members = [gs.MemberProcess(f"m{i}-{client}", client, tmp_path, bootstrap, topic, group, "range", **member)
               for i in range(3)]
    try:
        gs.wait_for(lambda: balanced(members), 60, "three members with two partitions each")
        old = coordinator(c, group)
        gs.wait_for(lambda: stable_at(c, old, group, members), 30, "the group Stable at its coordinator")
        gs.wait_for(lambda: all(m.state().get("commits", 0) >= 5 for m in members), 60, "commits by every member")
        consumed_before = sum(m.state().get("consumed", 0) for m in members)
        assert consumed_before < RECORDS * 0.7, "consumption must still be under way at the kill"
        idle = idle_groups_at(c, old, topic, prefix=group)

        killed_at, killed_wall = time.monotonic(), time.time()
        c.kill_one(f"broker-{old}")
        acked_before: dict[int, int] = {}
        for m in members:
            for commit in m.log().commits:
                if commit.t < killed_wall:
                    acked_before[commit.partition] = max(acked_before.get(commit.partition, 0), commit.offset)

        new = gs.wait_for(lambda: (lambda n: n if n not in (None, old) else None)(
            gw.coordinator_of(list(live_addresses(c).values()), group)), SESSION_TIMEOUT_MS / 1000 + 60,
            "a new coordinator")
        found_s = time.monotonic() - killed_at
        # The first answer of the new coordinator already holds every commit acknowledged before the kill.
        first_view = gs.wait_for(lambda: fetch_committed(c, new, group, topic), 60, "OffsetFetch at the new one")
        lost = {p: (acked_before[p], first_view.get(p)) for p in acked_before
                if first_view.get(p, -1) < acked_before[p]}
        assert not lost, f"commits acknowledged before the kill and missing after it: {lost}"

        # The first commit the new coordinator accepts: an offset past what it loaded from ZooKeeper.
        def committed_past_kill():
            now = fetch_committed(c, new, group, topic) or {}
            return any(now.get(p, -1) > first_view.get(p, -1) for p in range(PARTITIONS))
        gs.wait_for(committed_past_kill, 90, "a commit accepted by the new coordinator", interval=0.02)
        resumed_s = time.monotonic() - killed_at
        gs.wait_for(lambda: balanced(members) and stable_at(c, new, group, members), 90,
                    f"the group Stable again at broker {new}")
        stable_s = time.monotonic() - killed_at

        # Groups nobody has touched since the kill are listed by the brokers that took them over (ListGroups of
        # every live broker, as kafka-consumer-groups --list does), and keep their offsets.
        listed = {}
        for address in live_addresses(c).values():
            with gw.Connection(*address) as conn:
                error, groups = gw.list_groups(conn)
            assert error == gw.NONE
            listed.update(dict(groups))
        assert all(listed.get(g) == "" for g in idle), f"idle groups {idle} missing from {sorted(listed)}"
        assert listed.get(group) == "consumer"
        for g in idle:
            assert fetch_committed(c, coordinator(c, g), g, topic)[0] == 42

        def all_consumed():
            return not (produced - set(gs.delivery(produced, members).consumed))
        gs.wait_for(all_consumed, 180, "every record consumed")
        end = gs.end_offsets(live_addresses(c), topic, PARTITIONS)
        gs.wait_for(lambda: fetch_committed(c, new, group, topic) == end, 60, "commits to reach the end")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{gs.describe_members(members)}") from None
    finally:
        stopping_wall = time.time()
        gs.stop_all(members)
    d = gs.delivery(produced, members)
    assert not d.missing
    assert not d.unexplained_duplicates, d.unexplained_duplicates[:5]
    rejoined = any(killed_wall < t < stopping_wall for m in members for t, _ in m.log().assignments)
    if session_ms < SESSION_TIMEOUT_MS and client == "ck":
        assert rejoined, "members with sessions shorter than the failover were expected to rejoin"
    case = f"{client}-session-{session_ms}ms"
    RESULTS[case] = {"killed_coordinator": old, "new_coordinator": new,
                       "new_coordinator_found_ms": round(found_s * 1000),
                       "first_commit_after_kill_ms": round(resumed_s * 1000),
                       "stable_again_ms": round(stable_s * 1000), "members_rejoined": rejoined,
                       "records_consumed_twice": len(d.duplicates)}
    print(f"{case}: {RESULTS[case]}")
    figures["group_coordinator_kill9"] = {
        "description": "kill -9 of the broker coordinating a 3-member group consuming 6 partitions: time until "
                       "FindCoordinator names a live broker, until the first commit the new coordinator "
                       "acknowledges, and until the group is Stable there with all members",
        "broker_zookeeper_session_timeout_ms": SESSION_TIMEOUT_MS,
        "runs": dict(RESULTS),
        "median_first_commit_after_kill_ms": statistics.median(r["first_commit_after_kill_ms"]
                                                               for r in RESULTS.values()),
    }


def test_frozen_coordinator_cannot_accept_group_writes(whole, figures, tmp_path):
    """SIGSTOP of the coordinator's broker past its ZooKeeper session: the group moves to another broker. Requests
    queued at the frozen broker (on a connection opened before the freeze, and on one opened while it is frozen —
    the kernel accepts for it), and one sent right after SIGCONT, all carrying a member's real id and generation,
    must not be accepted: the old coordinator has lost its owner node (and, if it tried, its epoch check fails)."""
    c = whole
    topic = f"groups-frozen-{uuid.uuid4().hex[:6]}"
    group = f"{topic}-g"
    c.create_topic(topic, {p: [1 + (p + i) % 3 for i in range(3)] for p in range(PARTITIONS)})
    produced = gs.produce(c.bootstrap, topic, RECORDS, PARTITIONS)
    members = [gs.MemberProcess(f"m{i}-kp3", "kp3", tmp_path, c.bootstrap, topic, group, "range", **MEMBER)
               for i in range(3)]
    zombie_offsets = {(topic, p): 0 for p in range(PARTITIONS)}
    try:
        gs.wait_for(lambda: balanced(members), 60, "three members with two partitions each")
        old = coordinator(c, group)
        gs.wait_for(lambda: stable_at(c, old, group, members), 30, "the group Stable at its coordinator")
        gs.wait_for(lambda: all(m.state().get("commits", 0) >= 5 for m in members), 60, "commits by every member")
        state = members[0].state()
        member_id, generation = state["member_id"], state["generation"]
        address = c.client_address(old)
        committed_before = fetch_committed(c, old, group, topic)
        before_freeze = gw.Connection(*address, timeout=5)
        name = f"broker-{old}"
        frozen_at = time.monotonic()
        c.signal(name, signal.SIGSTOP)
        queued = []
        try:
            new = gs.wait_for(lambda: (lambda n: n if n not in (None, old) else None)(
                gw.coordinator_of([a for b, a in live_addresses(c).items() if b != old], group)),
                SESSION_TIMEOUT_MS / 1000 + 60, "a new coordinator")
            gs.wait_for(lambda: stable_at(c, new, group, members), 60, f"the group Stable at broker {new}")
            moved_s = time.monotonic() - frozen_at
            body = gw.offset_commit_body(group, generation, member_id, zombie_offsets, "zombie-coordinator")
            queued.append(("old connection", before_freeze, before_freeze.send(8, 7, body)))
            during = gw.Connection(*address, timeout=5)
            queued.append(("new connection", during, during.send(8, 7, body)))
        finally:
            c.signal(name, signal.SIGCONT)
        after = gw.Connection(*address, timeout=5)
        queued.append(("after SIGCONT", after, after.send(8, 7, gw.offset_commit_body(
            group, generation, member_id, zombie_offsets, "zombie-coordinator"))))
        answers = {}
        for label, conn, correlation in queued:
            try:
                answers[label] = {gw.error_name(e) for e in gw.offset_commit_result(
                    conn.receive(correlation, 20)).values()}
            except OSError as e:
                answers[label] = {f"connection: {e!r}"}
            conn.close()
        print(f"answers of the frozen coordinator {old}: {answers}")
        accepted = {label: a for label, a in answers.items() if "NONE" in a}
        assert not accepted, f"the frozen coordinator {old} accepted group writes after {new} took over: {accepted}"
        with gw.Connection(*c.client_address(new)) as conn:
            heartbeat_there = gw.heartbeat(conn, group, generation, member_id)
        committed_now = gs.wait_for(lambda: fetch_committed(c, new, group, topic), 30, "OffsetFetch at the new one")
        assert all(committed_now[p] >= committed_before[p] for p in range(PARTITIONS)), (committed_before,
                                                                                     committed_now)
        with gw.Connection(*c.client_address(new)) as conn:
            _, detail = gw.offset_fetch(conn, group, {topic: list(range(PARTITIONS))})
        assert all(md != "zombie-coordinator" for _, md, _ in detail.values()), detail

        def all_consumed():
            return not (produced - set(gs.delivery(produced, members).consumed))
        gs.wait_for(all_consumed, 180, "every record consumed")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{gs.describe_members(members)}") from None
    finally:
        gs.stop_all(members)
    d = gs.delivery(produced, members)
    assert not d.missing
    assert not d.unexplained_duplicates, d.unexplained_duplicates[:5]
    figures["group_coordinator_sigstop"] = {
        "description": "SIGSTOP of a group's coordinator broker: time until the group is Stable at another broker; "
                       "the frozen broker's answers to OffsetCommits queued before and sent after SIGCONT",
        "moved_ms": round(moved_s * 1000), "frozen_coordinator_answers": {k: sorted(v) for k, v in answers.items()},
        "heartbeat_at_new_coordinator": gw.error_name(heartbeat_there),
    }
