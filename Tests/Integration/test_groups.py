"""Issue 5, consumer groups, end to end with real clients: kafka-python 2.0.2 and 3.x and confluent-kafka as group
members in processes of their own (clients/groups_consumer.py), so kill -9 and SIGSTOP are real.

- Three members share a 6-partition topic two partitions each (range, roundrobin, cooperative-sticky), every record
  consumed exactly once; mixed kafka-python/confluent-kafka groups alike (also cooperative: kafka-python 3.x with
  confluent-kafka).
- kill -9 of a member: its partitions move after its session timeout; records after its last commit may repeat,
  none is skipped.
- A member stopped (SIGSTOP) past the rebalance timeout and resumed: its commit is refused with UNKNOWN_MEMBER_ID or
  ILLEGAL_GENERATION and changes no committed offset.
- kafka-python with defaults (`KafkaConsumer(topic, bootstrap_servers=..., group_id="test")`) just works;
  auto.offset.reset, OFFSET_OUT_OF_RANGE, commit metadata, commits of a group without members, static membership,
  and kafka-consumer-groups-style describe/list/offsets/delete through both clients' admin APIs.
The coordinator-broker kill is in Tests/Faults/test_groups_faults.py (it needs a cluster it may damage)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "clients"))
import groups_support as gs  # noqa: E402
import groups_wire as gw  # noqa: E402

PARTITIONS = 6
#: Member settings for the failure tests: failures are noticed within seconds.
SESSION_MS, HEARTBEAT_MS, MAX_POLL_MS = 3000, 300, 4000
FAST = dict(session_ms=SESSION_MS, heartbeat_ms=HEARTBEAT_MS, max_poll_ms=MAX_POLL_MS)
#: Slow consumption (20 records per batch, 50 ms per batch) so a failure lands while members are busy.
SLOW = dict(max_records=20, batch_delay_ms=50)


class Env:
    def __init__(self, cluster, directory: Path):
        self.cluster = cluster
        self.bootstrap = cluster.bootstrap
        self.brokers = {b: cluster.broker_address(b) for b in cluster.broker_ids}
        self.dir = directory

    def topic(self, prefix: str, partitions: int = PARTITIONS, replication_factor: int = 3) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        gs.create_topic(self.bootstrap, name, partitions, replication_factor, list(self.brokers.values()))
        return name

    def coordinator(self, group: str) -> tuple[str, int]:
        return gs.coordinator_address(self.brokers, group)[1]

    def members(self, kinds: list[str], topic: str, group: str, assignor: str = "range", **options):
        return [gs.MemberProcess(f"m{i}-{kind}", kind, self.dir / group, self.bootstrap, topic, group, assignor,
                                 **options) for i, kind in enumerate(kinds)]

    def end_offsets(self, topic: str, partitions: int = PARTITIONS) -> dict[int, int]:
        return gs.end_offsets(self.brokers, topic, partitions)


@pytest.fixture(scope="module")
def env(cluster, tmp_path_factory):
    gs.wait_for(lambda: all(cluster.pid(f"broker-{b}") for b in cluster.broker_ids), 60, "all brokers")
    return Env(cluster, tmp_path_factory.mktemp("groups"))


@pytest.fixture
def running():
    """Member processes a test started; all are stopped (SIGTERM, then SIGKILL) when it ends."""
    members: list[gs.MemberProcess] = []
    yield members
    gs.stop_all(members)


def unique_group(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# Conditions -------------------------------------------------------------------------------------------------------
def balanced(members, partitions: int = PARTITIONS):
    """Each member reports partitions/len(members) partitions, together all of them exactly once."""
    states = [m.state() for m in members]
    parts = [p for s in states for p in s.get("assignment", [])]
    return all(len(s.get("assignment", [])) == partitions // len(members) for s in states) \
        and sorted(parts) == list(range(partitions))


def wait_balanced(env: Env, members, group: str, protocol: str | None = None, timeout: float = 60):
    """Waits until the members report a balanced split and the coordinator agrees: Stable, the same members, each
    assignment as the member reports it. Returns {member id: partitions}."""
    try:
        gs.wait_for(lambda: balanced(members), timeout, f"{len(members)} members sharing {PARTITIONS} partitions")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{gs.describe_members(members)}") from None
    address = env.coordinator(group)

    def agreed():
        state, assignment = gs.group_assignment(address, group)
        reported = {m.state()["member_id"]: m.state()["assignment"] for m in members}
        return state == "Stable" and assignment == reported and assignment

    assignment = gs.wait_for(agreed, 30, "the coordinator's view to match the members'")
    if protocol:
        with gw.Connection(*address) as c:
            [d] = gw.describe_groups(c, [group])
        assert d.protocol == protocol, d
    return assignment


def wait_consumed(produced, members, timeout: float = 90):
    def done():
        return not (produced - set(gs.delivery(produced, members).consumed))
    try:
        gs.wait_for(done, timeout, f"all {len(produced)} records consumed")
    except AssertionError as e:
        missing = produced - set(gs.delivery(produced, members).consumed)
        raise AssertionError(f"{e}: {len(missing)} missing, e.g. {sorted(missing)[:5]}\n"
                             f"{gs.describe_members(members)}") from None


def wait_committed_to_end(env: Env, group: str, topic: str, timeout: float = 30):
    end = env.end_offsets(topic)
    address = env.coordinator(group)
    gs.wait_for(lambda: {p: o for p, (o, _) in gs.committed(*address, group, topic, PARTITIONS).items()} == end,
                timeout, f"committed offsets of {group} to reach the end offsets {end}")


def wait_quiet(members, quiet_s: float = 1.5, timeout: float = 30) -> None:
    """Waits until no member has seen a rebalance for `quiet_s`: a kafka-python leader that assigned before it knew
    the topic's partitions rejoins once it learns them, a rebalance of its own shortly after the first one."""
    last: dict = {}

    def quiet():
        now = time.monotonic()
        seen = tuple((m.state().get("rebalances"), tuple(m.state().get("assignment", []))) for m in members)
        if last.get("seen") != seen:
            last.update(seen=seen, since=now)
        return now - last["since"] >= quiet_s
    gs.wait_for(quiet, timeout, f"{quiet_s}s without a rebalance")


def process_state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def assert_exactly_once(produced, members):
    d = gs.delivery(produced, members)
    assert not d.missing, f"{len(d.missing)} records never consumed, e.g. {sorted(d.missing)[:5]}"
    assert not d.duplicates, f"{len(d.duplicates)} records consumed twice, e.g. {list(d.duplicates.items())[:3]}"


# Balanced groups, exactly once --------------------------------------------------------------------------------------
GROUPS = [("kp2", "range"), ("kp2", "roundrobin"), ("kp3", "range"), ("kp3", "roundrobin"),
          ("kp3", "cooperative-sticky"), ("ck", "range"), ("ck", "roundrobin"), ("ck", "cooperative-sticky")]


@pytest.mark.parametrize("client,assignor", GROUPS, ids=[f"{c}-{a}" for c, a in GROUPS])
def test_three_members_share_six_partitions_exactly_once(env, running, client, assignor):
    """Half the records exist before the members start (consumed through the startup rebalances), half are produced
    once the group is stable; every record is consumed exactly once and the final commits reach the end."""
    topic = env.topic(f"split-{client}-{assignor}")
    group = unique_group(f"split-{client}")
    produced = gs.produce(env.bootstrap, topic, 3000, PARTITIONS)
    members = env.members([client] * 3, topic, group, assignor)
    running.extend(members)
    assignment = wait_balanced(env, members, group, protocol=assignor)
    assert sorted(len(p) for p in assignment.values()) == [2, 2, 2]
    produced |= gs.produce(env.bootstrap, topic, 3000, PARTITIONS, start=3000)
    wait_consumed(produced, members)
    wait_committed_to_end(env, group, topic)
    gs.stop_all(members)
    assert_exactly_once(produced, members)
    state, left = gs.group_assignment(env.coordinator(group), group)
    assert (state, left) == ("Empty", {}), "every member left on close"


MIXED = [("range", ["kp2", "kp3", "ck"]), ("roundrobin", ["ck", "kp2", "kp3"]),
         ("cooperative-sticky", ["kp3", "ck", "ck"])]


@pytest.mark.parametrize("assignor,kinds", MIXED, ids=[a for a, _ in MIXED])
def test_mixed_clients_share_partitions(env, running, assignor, kinds):
    """kafka-python 2.0.2, kafka-python 3.x and confluent-kafka in one group: whoever leads (the first to join)
    assigns for all; kafka-python 3.x and confluent-kafka also agree on KIP-429 cooperative rebalancing."""
    topic = env.topic(f"mixed-{assignor}")
    group = unique_group("mixed")
    produced = gs.produce(env.bootstrap, topic, 3000, PARTITIONS)
    members = env.members(kinds, topic, group, assignor)
    running.extend(members)
    wait_balanced(env, members, group, protocol=assignor)
    produced |= gs.produce(env.bootstrap, topic, 3000, PARTITIONS, start=3000)
    wait_consumed(produced, members)
    wait_committed_to_end(env, group, topic)
    gs.stop_all(members)
    assert_exactly_once(produced, members)


# Failures -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("client", ["kp2", "kp3", "ck"])
def test_killed_member_partitions_move_after_session_timeout(env, running, client):
    topic = env.topic(f"kill-{client}")
    group = unique_group(f"kill-{client}")
    produced = gs.produce(env.bootstrap, topic, 6000, PARTITIONS)
    members = env.members([client] * 3, topic, group, **FAST, **SLOW)
    running.extend(members)
    wait_balanced(env, members, group)
    victim, survivors = members[1], [members[0], members[2]]
    gs.wait_for(lambda: victim.state().get("commits", 0) >= 3, 60, "the victim to commit")
    lost = victim.state()["assignment"]
    victim.kill9()
    killed_at = time.monotonic()
    killed_wall = time.time()
    wait_balanced(env, survivors, group)
    moved_after = time.monotonic() - killed_at
    # Nothing but the session timeout tells the coordinator: not before it (less the last heartbeat's age), and
    # promptly after it.
    assert (SESSION_MS - HEARTBEAT_MS - 300) / 1000 <= moved_after <= SESSION_MS / 1000 + 10, moved_after
    wait_consumed(produced, members)
    wait_committed_to_end(env, group, topic)
    gs.stop_all(members)
    d = gs.delivery(produced, members)
    assert not d.missing
    assert not d.unexplained_duplicates, d.unexplained_duplicates[:5]
    assert all(p in lost for p, _ in d.duplicates), f"duplicates outside the victim's partitions {lost}"
    for p in lost:
        readers = {name for (partition, _), rs in d.consumed.items() if partition == p
                   for name, t in rs if t > killed_wall}
        assert readers and victim.name not in readers, f"partition {p} after the kill read by {readers}"


def zombie_rejections(member: gs.MemberProcess, client: str) -> list[str]:
    """The coordinator's answers that fenced the resumed member: the commit's error (confluent-kafka reports the
    broker's code), or kafka-python's log of the refused commit or heartbeat."""
    zombie = member.state()["zombie"]
    if client == "ck":
        return [e for e in zombie["errors"] if e.startswith(("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"))]
    needles = ("UnknownMemberId", "IllegalGeneration", "member_id was not recognized", "generation id is not current")
    return [line for line in member.state()["coordinator_errors"]
            if float(line.split(" ", 1)[0]) >= zombie["resumed"] - 1 and any(n in line for n in needles)]


@pytest.mark.parametrize("client", ["kp2", "kp3", "ck"])
def test_member_paused_past_rebalance_timeout_is_fenced(env, running, client):
    topic = env.topic(f"zombie-{client}")
    group = unique_group(f"zombie-{client}")
    produced = gs.produce(env.bootstrap, topic, 6000, PARTITIONS)
    pause_file = env.dir / f"{group}.pause"
    members = [gs.MemberProcess(f"m{i}-{client}", client, env.dir / group, env.bootstrap, topic, group, "range",
                                pause_file=pause_file if i == 1 else None, **FAST, **SLOW) for i in range(3)]
    running.extend(members)
    wait_balanced(env, members, group)
    zombie, survivors = members[1], [members[0], members[2]]
    gs.wait_for(lambda: zombie.state().get("commits", 0) >= 3, 60, "the member to commit")
    pause_file.touch()
    gs.wait_for(lambda: process_state(zombie.pid) == "T", 30, "the member to stop itself before a commit")
    paused_at = time.monotonic()
    before = zombie.state()["pausing"]
    wait_balanced(env, survivors, group)
    # Past the rebalance timeout (max.poll.interval.ms) as well as the session timeout, then resume.
    gs.wait_for(lambda: time.monotonic() - paused_at > MAX_POLL_MS / 1000 + 0.5, MAX_POLL_MS / 1000 + 5,
                "the rebalance timeout to pass")
    zombie.signal(signal.SIGCONT)
    outcome = gs.wait_for(lambda: zombie.state().get("zombie"), 30, "the resumed member's commit")
    assert not outcome["accepted"], outcome
    assert zombie_rejections(zombie, client), (outcome, zombie.state()["coordinator_errors"])
    address = env.coordinator(group)
    if before["generation"] is not None:
        # The same commit on the wire, from the member id and generation it held before the pause.
        with gw.Connection(*address) as c:
            errors = gw.offset_commit(c, group, before["generation"], before["member_id"],
                                      {(topic, int(p)): o for p, o in before["offsets"].items()}, "zombie")
        assert set(errors.values()) <= {gw.UNKNOWN_MEMBER_ID, gw.ILLEGAL_GENERATION}, errors
    committed = gs.committed(*address, group, topic, PARTITIONS)
    assert all(md != "zombie" for _, md in committed.values()), committed
    # The resumed member rejoins; the group ends whole and nothing is lost.
    wait_balanced(env, members, group)
    wait_consumed(produced, members)
    wait_committed_to_end(env, group, topic)
    gs.stop_all(members)
    d = gs.delivery(produced, members)
    assert not d.missing
    assert not d.unexplained_duplicates, d.unexplained_duplicates[:5]


@pytest.mark.parametrize("client", ["kp2", "kp3"])
def test_member_paused_through_a_rebalance_is_dropped_at_the_rebalance_timeout(env, running, client):
    """A member with a long session (10 s) but a 4 s rebalance timeout (max.poll.interval.ms) is stopped; a new
    member then joins. The join phase waits for the stopped member only as long as the rebalance timeout (Kafka's
    DelayedJoin), not its session, and completes without it; once resumed, its commit is refused. (librdkafka does
    not allow a session longer than max.poll.interval.ms, so kafka-python only.)"""
    topic = env.topic(f"slowjoin-{client}")
    group = unique_group(f"slowjoin-{client}")
    produced = gs.produce(env.bootstrap, topic, 6000, PARTITIONS)
    pause_file = env.dir / f"{group}.pause"
    long_session = dict(session_ms=10_000, heartbeat_ms=HEARTBEAT_MS, max_poll_ms=MAX_POLL_MS, **SLOW)
    members = [gs.MemberProcess(f"m{i}-{client}", client, env.dir / group, env.bootstrap, topic, group, "range",
                                pause_file=pause_file if i == 1 else None, **long_session) for i in range(3)]
    running.extend(members)
    wait_balanced(env, members, group)
    zombie = members[1]
    gs.wait_for(lambda: zombie.state().get("commits", 0) >= 3, 60, "the member to commit")
    pause_file.touch()
    gs.wait_for(lambda: process_state(zombie.pid) == "T", 30, "the member to stop itself before a commit")
    joined_at = time.monotonic()
    newcomer = gs.MemberProcess(f"m3-{client}", client, env.dir / group, env.bootstrap, topic, group, "range",
                                **long_session)
    running.append(newcomer)
    others = [members[0], members[2], newcomer]
    wait_balanced(env, others, group)
    completed_after = time.monotonic() - joined_at
    assert MAX_POLL_MS / 1000 - 0.5 <= completed_after < long_session["session_ms"] / 1000, completed_after
    zombie.signal(signal.SIGCONT)
    outcome = gs.wait_for(lambda: zombie.state().get("zombie"), 30, "the resumed member's commit")
    assert not outcome["accepted"], outcome
    assert zombie_rejections(zombie, client), (outcome, zombie.state()["coordinator_errors"])
    committed = gs.committed(*env.coordinator(group), group, topic, PARTITIONS)
    assert all(md != "zombie" for _, md in committed.values()), committed
    everyone = members + [newcomer]
    wait_consumed(produced, everyone)
    gs.stop_all(everyone)
    d = gs.delivery(produced, everyone)
    assert not d.missing
    assert not d.unexplained_duplicates, d.unexplained_duplicates[:5]


def test_commits_of_an_old_generation_are_fenced_on_the_wire(env):
    """Kafka's fencing rules, member by member: a commit from the previous generation gets ILLEGAL_GENERATION, an
    unknown member UNKNOWN_MEMBER_ID, a member of the new generation that has not synced yet REBALANCE_IN_PROGRESS,
    and a heartbeat during the join phase REBALANCE_IN_PROGRESS."""
    topic = env.topic("fence-wire", partitions=2)
    group = unique_group("fence-wire")
    address = env.coordinator(group)
    protocols = [("range", gw.subscription([topic]))]
    a, b = gw.Connection(*address), gw.Connection(*address)
    try:
        first = gw.join_group(a, group, "", protocols, session_ms=10_000, rebalance_ms=10_000)
        assert first.error == gw.MEMBER_ID_REQUIRED
        joined = gw.join_group(a, group, first.member_id, protocols, session_ms=10_000, rebalance_ms=10_000)
        assert joined.error == gw.NONE and joined.leader == joined.member_id
        a_id, generation = joined.member_id, joined.generation
        assert gw.sync_group(a, group, generation, a_id, {a_id: gw.assignment({topic: [0, 1]})})[0] == gw.NONE
        assert gw.offset_commit(a, group, generation, a_id, {(topic, 0): 1}) == {(topic, 0): gw.NONE}
        # B joins: the group prepares a rebalance; A learns it from its heartbeat.
        b_first = gw.join_group(b, group, "", protocols, session_ms=10_000, rebalance_ms=10_000)
        result = {}
        t = threading.Thread(target=lambda: result.update(
            b=gw.join_group(b, group, b_first.member_id, protocols, session_ms=10_000, rebalance_ms=10_000)))
        t.start()
        gs.wait_for(lambda: gw.heartbeat(a, group, generation, a_id) == gw.REBALANCE_IN_PROGRESS, 10,
                    "REBALANCE_IN_PROGRESS on A's heartbeat")
        # While preparing, the current generation may still commit (Kafka accepts it).
        assert gw.offset_commit(a, group, generation, a_id, {(topic, 0): 2}) == {(topic, 0): gw.NONE}
        rejoined = gw.join_group(a, group, a_id, protocols, session_ms=10_000, rebalance_ms=10_000)
        t.join(15)
        assert rejoined.error == gw.NONE and result["b"].error == gw.NONE
        assert rejoined.generation == generation + 1 == result["b"].generation
        # CompletingRebalance: new-generation members must sync before committing; the old generation is fenced.
        new = rejoined.generation
        assert gw.offset_commit(a, group, new, a_id, {(topic, 0): 3}) == {(topic, 0): gw.REBALANCE_IN_PROGRESS}
        assert gw.offset_commit(a, group, generation, a_id, {(topic, 0): 3}) == {(topic, 0): gw.ILLEGAL_GENERATION}
        assert gw.offset_commit(a, group, new, "nobody", {(topic, 0): 3}) == {(topic, 0): gw.UNKNOWN_MEMBER_ID}
        b_id = result["b"].member_id
        plan = {a_id: gw.assignment({topic: [0]}), b_id: gw.assignment({topic: [1]})}
        (leader_conn, leader_id), (follower_conn, follower_id) = \
            ((a, a_id), (b, b_id)) if rejoined.leader == a_id else ((b, b_id), (a, a_id))
        follower = {}
        t = threading.Thread(target=lambda: follower.update(r=gw.sync_group(follower_conn, group, new, follower_id)))
        t.start()
        assert gw.sync_group(leader_conn, group, new, leader_id, plan)[0] == gw.NONE
        t.join(15)
        assert follower["r"][0] == gw.NONE
        assert gw.offset_commit(a, group, new, a_id, {(topic, 0): 4}) == {(topic, 0): gw.NONE}
        assert gw.offset_commit(a, group, generation, a_id, {(topic, 0): 5}) == {(topic, 0): gw.ILLEGAL_GENERATION}
        _, offsets = gw.offset_fetch(a, group, {topic: [0]})
        assert offsets[(topic, 0)][0] == 4
        assert gw.leave_group(a, group, [(a_id, None), (b_id, None)]) == (gw.NONE, [0, 0])
    finally:
        a.close()
        b.close()


# Plain kafka-python -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("client", ["kp2", "kp3"])
def test_kafka_python_defaults_just_work(env, client):
    """`KafkaConsumer(topic, bootstrap_servers=<one broker>, group_id="test")` iterated: with the default
    auto.offset.reset=latest it reads every record produced after it took its partitions, without a gap, and its
    close commits them (auto-commit)."""
    topic = env.topic(f"defaults-{client}", partitions=3)
    broker = 1 + ["kp2", "kp3"].index(client)
    proc = subprocess.Popen([str(gs.PYTHONS[client]), str(gs.HERE / "groups_default_consumer.py"), topic,
                             env.cluster.bootstrap_one(broker)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    lines: list = []
    reader = threading.Thread(target=lambda: lines.extend(json.loads(line) for line in proc.stdout), daemon=True)
    reader.start()
    produced: set[tuple[int, int]] = set()
    try:
        deadline = time.monotonic() + 90
        i = 0
        # Produce steadily until the consumer shows records: those before it was positioned are (rightly) skipped.
        while sum(1 for x in lines if isinstance(x, list)) < 30 and time.monotonic() < deadline:
            produced |= gs.produce(env.bootstrap, topic, 3, 3, start=i)
            i += 3
            time.sleep(0.05)
        assert time.monotonic() < deadline, "the default consumer printed nothing"
        produced |= gs.produce(env.bootstrap, topic, 300, 3, start=i)
        last = {p: max(o for q, o in produced if q == p) for p in range(3)}

        def tail_consumed():
            seen: dict[int, int] = {}
            for p, o, _ in (x for x in lines if isinstance(x, list)):
                seen[p] = max(seen.get(p, -1), o)
            return seen == last
        gs.wait_for(tail_consumed, 60, "every record produced after the consumer started")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        reader.join(10)
    assert {"closed": True} in lines, proc.stderr.read()[-2000:]
    records = [x for x in lines if isinstance(x, list)]
    first = first_offsets(lines)
    for p in range(3):
        offsets = sorted(o for q, o, _ in records if q == p)
        assert offsets == list(range(first[p], max(o for q, o in produced if q == p) + 1)), f"partition {p}"
    end = env.end_offsets(topic, 3)
    assert {p: o for p, (o, _) in gs.committed(*env.coordinator("test"), "test", topic, 3).items()} == end


def first_offsets(lines) -> dict[int, int]:
    first: dict[int, int] = {}
    for x in lines:
        if isinstance(x, list):
            first[x[0]] = min(first.get(x[0], x[1]), x[1])
    return first


def test_auto_offset_reset_and_offset_out_of_range(env):
    """auto.offset.reset earliest/latest apply only without a committed offset (ListOffsets -2/-1); a committed
    offset wins; one past the end is reset; a fetch past the end is OFFSET_OUT_OF_RANGE, which kafka-python reports
    when told not to reset."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.errors import OffsetOutOfRangeError
    from kafka.structs import OffsetAndMetadata

    topic = env.topic("reset", partitions=1)
    tp = TopicPartition(topic, 0)
    gs.produce(env.bootstrap, topic, 10, 1)

    def consumer(group, reset, **kw):
        return KafkaConsumer(bootstrap_servers=env.bootstrap, group_id=group, auto_offset_reset=reset,
                             enable_auto_commit=False, **kw)

    def first_offset(c) -> int:
        for _ in range(60):
            batch = c.poll(timeout_ms=500)
            if batch:
                return batch[tp][0].offset
        raise AssertionError("no record")

    earliest = consumer(unique_group("reset-e"), "earliest")
    earliest.subscribe([topic])
    assert first_offset(earliest) == 0
    earliest.close()

    latest = consumer(unique_group("reset-l"), "latest")
    latest.assign([tp])
    assert latest.position(tp) == 10
    gs.produce(env.bootstrap, topic, 5, 1, start=10)
    assert first_offset(latest) == 10
    latest.close()

    group = unique_group("reset-c")
    committer = consumer(group, "latest")
    committer.assign([tp])
    committer.commit({tp: OffsetAndMetadata(3, "", -1)})
    committer.close()
    committed = consumer(group, "latest")
    committed.subscribe([topic])
    assert first_offset(committed) == 3
    committed.close()

    group = unique_group("reset-past")
    past = consumer(group, "earliest")
    past.assign([tp])
    past.commit({tp: OffsetAndMetadata(1000, "", -1)})
    past.close()
    reset = consumer(group, "earliest")
    reset.subscribe([topic])
    assert first_offset(reset) == 0, "a committed offset past the end is out of range and reset"
    reset.close()

    with gw.Connection(*env.brokers[env.cluster.broker_ids[0]]) as c:
        leader = gw.partition_leaders(c, topic)[0]
    with gw.Connection(*env.brokers[leader]) as c:
        assert gw.fetch_error(c, topic, 0, 1000) == gw.OFFSET_OUT_OF_RANGE
        assert gw.fetch_error(c, topic, 0, 15) == gw.NONE
    strict = consumer(unique_group("reset-none"), "none")
    strict.assign([tp])
    strict.seek(tp, 1000)
    with pytest.raises(OffsetOutOfRangeError):
        for _ in range(20):
            strict.poll(timeout_ms=500)
    strict.close()


def test_commit_metadata_round_trips(env):
    """Metadata strings survive OffsetCommit → ZooKeeper → OffsetFetch unchanged from each client (kafka-python 2.0.2
    commits with OffsetCommit v2, 3.x and confluent-kafka with newer versions); over offset.metadata.max.bytes is
    OFFSET_METADATA_TOO_LARGE for that partition only."""
    from confluent_kafka import Consumer, TopicPartition as CkTopicPartition
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    topic = env.topic("metadata", partitions=3)
    group = unique_group("metadata")
    texts = {0: "kafka-python 2 ✓ {\"json\": [1, 2]}", 1: "kafka-python 3 — ünïcödé", 2: "confluent 🚀 " + "x" * 100}
    script = ("import sys; from kafka import KafkaConsumer, TopicPartition; from kafka.structs import "
              "OffsetAndMetadata; c = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id=sys.argv[2]); "
              "tp = TopicPartition(sys.argv[3], 0); c.assign([tp]); c.commit({tp: OffsetAndMetadata(7, sys.argv[4])});"
              " print(c.committed(tp)); c.close()")
    out = subprocess.run([str(gs.PYTHONS["kp2"]), "-c", script, env.bootstrap, group, topic, texts[0]],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "7", out.stderr[-2000:]

    kp3 = KafkaConsumer(bootstrap_servers=env.bootstrap, group_id=group)
    kp3.assign([TopicPartition(topic, 1)])
    kp3.commit({TopicPartition(topic, 1): OffsetAndMetadata(8, texts[1], -1)})
    assert kp3.committed(TopicPartition(topic, 1), metadata=True).metadata == texts[1]
    kp3.close()

    ck = Consumer({"bootstrap.servers": env.bootstrap, "group.id": group, "enable.auto.commit": False})
    ck.commit(offsets=[CkTopicPartition(topic, 2, 9, texts[2])], asynchronous=False)
    [back] = ck.committed([CkTopicPartition(topic, 2)], timeout=30)
    assert (back.offset, back.metadata) == (9, texts[2])
    ck.close()

    address = env.coordinator(group)
    stored = gs.committed(*address, group, topic, 3)
    # confluent-kafka-python sends the C string's terminating NUL as part of the metadata (its own committed()
    # hides it); Fjord, like Kafka, stores the bytes it is sent.
    assert stored[2] in ((9, texts[2]), (9, texts[2] + "\x00")), stored[2]
    assert {p: stored[p] for p in (0, 1)} == {0: (7, texts[0]), 1: (8, texts[1])}
    with gw.Connection(*address) as c:
        errors = gw.offset_commit(c, group, -1, "", {(topic, 0): 11}, metadata="m" * 4096)
        assert errors == {(topic, 0): gw.NONE}
        too_large = gw.offset_commit_result(c.call(8, 7, gw.offset_commit_body(
            group, -1, "", {(topic, 1): 12}, metadata="m" * 4097)))
        assert too_large == {(topic, 1): 12}, "OFFSET_METADATA_TOO_LARGE"
    assert gs.committed(*address, group, topic, 3)[1] == (8, texts[1]), "a refused commit changes nothing"


def test_group_without_members_accepts_simple_commits(env, running):
    """Commits with generation -1 and no member id (consumers using assign(), admin tools) are accepted while the
    group has no members, refused with UNKNOWN_MEMBER_ID while it has some, and members start from them."""
    from confluent_kafka.admin import AdminClient
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition as CkTopicPartition
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    topic = env.topic("simple", partitions=2)
    group = unique_group("simple")
    produced = gs.produce(env.bootstrap, topic, 40, 2)
    simple = KafkaConsumer(bootstrap_servers=env.bootstrap, group_id=group, enable_auto_commit=False)
    simple.assign([TopicPartition(topic, 0)])
    simple.commit({TopicPartition(topic, 0): OffsetAndMetadata(5, "simple", -1)})
    simple.close()
    admin = AdminClient({"bootstrap.servers": env.bootstrap})
    altered = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, [CkTopicPartition(topic, 1, 7)])], request_timeout=30)
    altered[group].result(30)
    address = env.coordinator(group)
    with gw.Connection(*address) as c:
        [d] = gw.describe_groups(c, [group])
    assert (d.state, d.protocol_type, d.members) == ("Empty", "", [])
    assert gs.committed(*address, group, topic, 2) == {0: (5, "simple"), 1: (7, "")}

    [member] = [gs.MemberProcess("m0-ck", "ck", env.dir / group, env.bootstrap, topic, group, "range")]
    running.append(member)
    gs.wait_for(lambda: len(member.state().get("assignment", [])) == 2, 60, "the member to take both partitions")
    gs.wait_for(lambda: member.state().get("consumed", 0) >= 40 - 5 - 7, 60, "the member to consume")
    records = member.log().records
    assert min(r.offset for r in records if r.partition == 0) == 5
    assert min(r.offset for r in records if r.partition == 1) == 7
    with gw.Connection(*address) as c:
        assert gw.offset_commit(c, group, -1, "", {(topic, 0): 1}) == {(topic, 0): gw.UNKNOWN_MEMBER_ID}
    member.stop()
    with gw.Connection(*address) as c:
        gs.wait_for(lambda: gw.describe_groups(c, [group])[0].state == "Empty", 30, "the group to empty")
        assert gw.offset_commit(c, group, -1, "", {(topic, 0): 1}) == {(topic, 0): gw.NONE}
    assert gs.committed(*address, group, topic, 2)[0] == (1, "")
    assert len(produced) == 40


@pytest.mark.parametrize("client", ["ck", "kp3"])
def test_static_membership(env, running, client):
    """group.instance.id (KIP-345): a static member killed and restarted within its session takes back its
    partitions at once, without a rebalance (the other member sees none); a second process with the same instance
    id fences the first (FENCED_INSTANCE_ID); LeaveGroup by instance id removes a static member."""
    topic = env.topic(f"static-{client}")
    group = unique_group(f"static-{client}")
    gs.produce(env.bootstrap, topic, 600, PARTITIONS)
    opts = dict(session_ms=10_000, heartbeat_ms=HEARTBEAT_MS, max_poll_ms=30_000)

    def start(name, instance):
        m = gs.MemberProcess(name, client, env.dir / group, env.bootstrap, topic, group, "range",
                             instance_id=instance, **opts)
        running.append(m)
        return m

    a1, b = start("a1", "inst-a"), start("b", "inst-b")
    wait_balanced(env, [a1, b], group)
    wait_quiet([a1, b])
    wait_balanced(env, [a1, b], group)
    address = env.coordinator(group)
    with gw.Connection(*address) as c:
        [d] = gw.describe_groups(c, [group])
    assert sorted(m["instance_id"] for m in d.members) == ["inst-a", "inst-b"]
    a_parts, b_rebalances = a1.state()["assignment"], b.state()["rebalances"]
    a1.kill9()
    restarted = time.monotonic()
    a2 = start("a2", "inst-a")
    gs.wait_for(lambda: a2.state().get("assignment") == a_parts, 30, "the restarted member to get its partitions")
    assert time.monotonic() - restarted < opts["session_ms"] / 1000, "no wait for the old session to expire"
    wait_balanced(env, [a2, b], group)
    assert b.state()["rebalances"] == b_rebalances, "the other member saw no rebalance"
    a3 = start("a3", "inst-a")
    gs.wait_for(lambda: a3.state().get("assignment") == a_parts, 30, "the newest instance to take over")

    def fenced():
        s = a2.state()
        text = " ".join(s.get("errors", []) + s.get("coordinator_errors", []))
        return "fenced" in text.lower()
    gs.wait_for(fenced, 30, "the older process to be fenced")
    assert b.state()["rebalances"] == b_rebalances
    # A static member's process ends without leaving (KIP-345); LeaveGroup by instance id removes it at once.
    b.kill9()
    removed = time.monotonic()
    with gw.Connection(*address) as c:
        error, per_member = gw.leave_group(c, group, [("", "inst-b")])
        assert (error, per_member) == (gw.NONE, [gw.NONE])
    gs.wait_for(lambda: len(a3.state().get("assignment", [])) == PARTITIONS, 30, "a3 to take every partition")
    assert time.monotonic() - removed < opts["session_ms"] / 1000


def test_describe_list_offsets_and_delete_through_admin_clients(env, running):
    """kafka-consumer-groups, the protocol way: ListGroups (every broker), DescribeGroups, OffsetFetch and
    DeleteGroups through kafka-python 2.0.2's and 3.x's admin clients and confluent-kafka's AdminClient."""
    from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions
    from confluent_kafka.admin import AdminClient

    topic = env.topic("describe")
    group = unique_group("describe")
    produced = gs.produce(env.bootstrap, topic, 600, PARTITIONS)
    members = env.members(["kp2", "kp3", "ck"], topic, group, "roundrobin")
    running.extend(members)
    assignment = wait_balanced(env, members, group, protocol="roundrobin")
    wait_consumed(produced, members)
    wait_committed_to_end(env, group, topic)
    end = env.end_offsets(topic)
    expected_members = sorted((m.state()["member_id"], f"{m.name}-{m.kind}", sorted(m.state()["assignment"]))
                              for m in members)
    for kind in ("kp2", "kp3"):
        out = subprocess.run([str(gs.PYTHONS[kind]), str(gs.HERE / "groups_admin.py"), "--bootstrap",
                              env.bootstrap, "--group", group, "--delete", group, "no-such-group-" + group],
                             capture_output=True, text=True, timeout=90)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["errors"] == [], (kind, result, out.stderr[-2000:])
        assert [group, "consumer"] in result["listed"], kind
        described = result["described"]
        assert (described["state"], described["protocol_type"], described["protocol"]) == \
            ("Stable", "consumer", "roundrobin"), kind
        assert sorted((m["member_id"], m["client_id"], [p for _, p in m["partitions"]])
                      for m in described["members"]) == expected_members, kind
        assert all(m["topics"] == [topic] for m in described["members"]), kind
        assert {k: v[0] for k, v in result["offsets"].items()} == {f"{topic}:{p}": o for p, o in end.items()}
        assert result["deleted"] == sorted([[group, "NonEmptyGroupError"],
                                            ["no-such-group-" + group, "GroupIdNotFoundError"]]), kind

    admin = AdminClient({"bootstrap.servers": env.bootstrap})
    listed = admin.list_consumer_groups(request_timeout=30).result(60)
    assert group in {g.group_id for g in listed.valid}
    description = admin.describe_consumer_groups([group], request_timeout=30)[group].result(60)
    assert description.state == ConsumerGroupState.STABLE
    assert description.partition_assignor == "roundrobin"
    assert sorted((m.member_id, m.client_id, sorted(tp.partition for tp in m.assignment.topic_partitions))
                  for m in description.members) == expected_members
    offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                                request_timeout=30)[group].result(60)
    assert {tp.partition: tp.offset for tp in offsets.topic_partitions} == end
    gs.stop_all(members)
    deleted = admin.delete_consumer_groups([group], request_timeout=30)
    deleted[group].result(60)
    with gw.Connection(*env.coordinator(group)) as c:
        [d] = gw.describe_groups(c, [group])
        assert d.state == "Dead" and d.members == []
        _, after = gw.offset_fetch(c, group, {topic: list(range(PARTITIONS))})
    assert all(offset == -1 for offset, _, _ in after.values()), "deleting a group deletes its offsets"
    assert assignment
