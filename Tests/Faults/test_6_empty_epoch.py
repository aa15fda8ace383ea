"""A leader that appended nothing in its epoch must be able to follow again. kill -9 of an idle partition's leader
makes another replica leader for an epoch in which nobody produces; when the preferred replica comes back and the
controller's preferred-leader election moves leadership back to it, the replica that led the empty epoch becomes a
follower whose last leader-epoch entry (its own empty epoch) the new leader does not have. The leader answers its
fetches with a diverging epoch ending exactly at the follower's log end offset; the follower must then drop that
epoch entry (Kafka truncates the leader-epoch cache even when the log itself needs no truncation) and fetch
normally — not loop on the same diverging answer. Then the usual produce-consume-validate run."""
import time

import kafka_wire as wire
from conftest import SESSION_S
from harness import wait_until
from pcv import ProduceConsumeValidate

#: Diverging-epoch answers a follower may need after one leadership change; a loop produces thousands.
MAX_TRUNCATIONS = 20


def diverging_truncations(cluster, broker: int, topic_partition: str) -> int:
    try:
        text = cluster.proc(f"broker-{broker}").log.read_text(errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines()
               if "truncating diverging follower log" in line and f"partition={topic_partition} " in line)


def test_leader_of_an_empty_epoch_follows_again(whole, figures):
    c = whole
    with ProduceConsumeValidate(c, "empty-epoch", autostart=False) as run:
        preferred = run.assignment[0][0]
        assert run.leader(0) == preferred
        # Some committed records first, so the empty epoch starts at a non-zero offset.
        for i in range(5):
            value = b"before-%d" % i
            error, offset = wire.produce(*c.client_address(preferred), run.topic, 0, wire.record_batch([value]))
            assert error == wire.NONE, wire.error_name(error)
            run.raw_acked.append((0, offset, value))
        c.kill_one(f"broker-{preferred}")
        interim, epoch = c.wait_new_leader(run.topic, 0, preferred, SESSION_S + 20)
        wait_until(lambda: c.serves_epoch(run.topic, 0, c.states(run.topic)[0]), 10,
                   f"broker {interim} to lead partition 0 in epoch {epoch}")
        c.start_one(f"broker-{preferred}")
        # The preferred leader rejoins and gets its leadership back (auto.leader.rebalance, checked every 5 s);
        # broker `interim` led epoch `epoch` without a single append.
        wait_until(lambda: run.leader(0) == preferred, 60, f"leadership of partition 0 to return to {preferred}")
        c.wait_isr_full(run.topic, 30)
        moved_back = time.monotonic()
        run.start_producer()
        run.producer.wait_for_acks(100, timeout=30, what="acknowledgements after the leadership moved back")
        loops = diverging_truncations(c, interim, f"{run.topic}-0")
        print(f"broker {interim} led partition 0 in epoch {epoch} with no append; after following again it "
              f"logged {loops} diverging-epoch truncations in {time.monotonic() - moved_back:.1f}s")
        assert loops <= MAX_TRUNCATIONS, (
            f"broker {interim} loops on diverging-epoch answers for {run.topic}-0 ({loops} truncations to its own "
            f"log end offset): e.g. {c.log_lines(f'broker-{interim}', f'partition={run.topic}-0 ', last=3)}")
        run.finish()
