"""A zombie leader cannot acknowledge. SIGSTOP freezes a partition leader past its ZooKeeper session timeout; the
controller elects a new leader; acks=all Produce requests then reach the frozen one — queued on a connection its
old clients opened before, and on a new connection — and it resumes with SIGCONT. None of them may be
acknowledged: the answer must be an error (NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS...), a
closed connection or no answer. The background producer's acknowledged records must all survive, and so must any
record the zombie did acknowledge (checked before the no-acknowledgement assertion, to tell a durability failure
from a fencing one)."""
import signal
import socket
import time

import kafka_wire as wire
from conftest import SESSION_S, SESSION_TIMEOUT_MS
from harness import wait_until
from pcv import ProduceConsumeValidate

ZOMBIE = b"zombie"


def outcome(conn: wire.Connection, correlation: int, timeout: float) -> tuple[str, int | None]:
    try:
        error, offset = wire.produce_result(conn.receive(correlation, timeout))
    except socket.timeout:
        return ("no answer", None)
    except (ConnectionError, OSError) as e:
        return (f"connection closed ({type(e).__name__})", None)
    return (wire.error_name(error), offset)


def test_sigstop_of_a_leader_past_the_session_timeout(whole, figures):
    c = whole
    partition = 0
    with ProduceConsumeValidate(c, "zombie") as run:
        old = run.leader(partition)
        address = c.client_address(old)
        # An old client: a connection that worked before the freeze.
        old_client = wire.Connection(*address, timeout=5)
        first = old_client.call(0, 7, wire.produce_body(run.topic, partition, wire.record_batch([b"before-freeze"])))
        error, offset = wire.produce_result(first)
        assert error == wire.NONE, f"produce to the leader before the freeze: {wire.error_name(error)}"
        run.raw_acked.append((partition, offset, b"before-freeze"))

        name = f"broker-{old}"
        t0 = time.monotonic()
        c.signal(name, signal.SIGSTOP)
        queued = []
        try:
            new, epoch = c.wait_new_leader(run.topic, partition, old, SESSION_S + 30)
            elected_s = time.monotonic() - t0
            wait_until(lambda: old not in c.live_brokers(), 10, f"broker {old}'s registration to be gone")
            print(f"broker {old} frozen; broker {new} leads partition {partition} (epoch {epoch}) "
                  f"after {elected_s:.2f}s")
            # acks=all writes addressed to the frozen leader, sent after the new leader exists.
            queued.append(("old connection", old_client,
                           old_client.send(0, 7, wire.produce_body(run.topic, partition,
                                                                   wire.record_batch([ZOMBIE + b"-old-conn"]),
                                                                   timeout_ms=3000))))
            fresh = wire.Connection(*address, timeout=5)  # the kernel accepts for the stopped process
            queued.append(("new connection", fresh,
                           fresh.send(0, 7, wire.produce_body(run.topic, partition,
                                                              wire.record_batch([ZOMBIE + b"-new-conn"]),
                                                              timeout_ms=3000))))
        finally:
            c.signal(name, signal.SIGCONT)
        t_cont = time.monotonic()
        # Right after resuming, before it may have noticed anything: one more write on a new connection.
        try:
            after = wire.Connection(*address, timeout=5)
            queued.append(("after SIGCONT", after,
                           after.send(0, 7, wire.produce_body(run.topic, partition,
                                                              wire.record_batch([ZOMBIE + b"-after-cont"]),
                                                              timeout_ms=3000))))
        except OSError as e:
            print(f"connecting right after SIGCONT failed: {e!r}")
        outcomes = {label: outcome(conn, corr, timeout=15) for label, conn, corr in queued}
        for _label, conn, _corr in queued:
            conn.close()
        print(f"answers of the old leader {old}: {outcomes}")
        zombie_values = {"old connection": ZOMBIE + b"-old-conn", "new connection": ZOMBIE + b"-new-conn",
                         "after SIGCONT": ZOMBIE + b"-after-cont"}
        acked = {label: o for label, o in outcomes.items() if o[0] == "NONE"}
        # Should the zombie have acknowledged anything, that record must at least be durable: checked by finish()
        # like every other acknowledged record. (Unacknowledged zombie records may or may not survive: the old
        # followers may have fetched them before switching leader.)
        run.raw_acked.extend((partition, o[1], zombie_values[label]) for label, o in acked.items())

        # It rejoins as a follower: re-registered, caught up, back in the ISR.
        wait_until(lambda: old in c.live_brokers(), SESSION_S + 30, f"broker {old} to re-register")
        c.wait_isr_full(run.topic, 60)
        rejoined_s = time.monotonic() - t_cont
        print(f"broker {old} back in every ISR {rejoined_s:.1f}s after SIGCONT")
        run.finish()
        assert not acked, (
            f"the zombie leader {old} acknowledged acks=all writes after ZooKeeper named broker {new} leader of "
            f"partition {partition} (epoch {epoch}): {acked} (the acknowledged records are in the final log, "
            f"so nothing acknowledged was lost); its log: "
            f"{c.log_lines(name, 'session', 'became follower', within='', last=4)}; broker {new}: "
            f"{c.log_lines(f'broker-{new}', 'became leader', within=f'{run.topic}-{partition} ', last=2)}")
    figures["sigstop_leader"] = {
        "session_timeout_ms": SESSION_TIMEOUT_MS,
        "sigstop_to_new_leader_ms": round(elected_s * 1000),
        "zombie_answers": {k: v[0] for k, v in outcomes.items()},
        "sigcont_to_full_isr_ms": round(rejoined_s * 1000),
    }
