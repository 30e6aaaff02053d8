"""Regression: updates delivered out of order, duplicated, still converge.

pycrdt 0.14 applying updates one by one out of causal order can miss some for good
(y-crdt issues #431, #582, #632), where JS Yjs converges. The server therefore answers from
the merge of its ordered update log, and each (re)connection runs the state-vector exchange.
This pins both: the room log converges under any delivery order, and a pycrdt replica fed
shuffled updates converges after one state-vector exchange with it.
"""

from __future__ import annotations

import random

from bikenode.planner.logic import UpdateLog, load_doc
from bikenode.planner.protocol import parse_message
from tests.planner_tools import Replica, canonical

TRIALS = 300


def _concurrent_edits(rnd: random.Random, replicas: list[Replica], ops: int) -> list[bytes]:
    """Random inserts, deletes and moves of waypoints and note edits, with partial syncs."""
    made: list[bytes] = []
    for step in range(ops):
        replica = rnd.choice(replicas)
        points = replica.waypoints
        roll, size = rnd.random(), len(points)
        if roll < 0.45 or size == 0:
            replica.add(rnd.randint(0, size), f"w{step}", rnd.uniform(-80, 80), rnd.random())
        elif roll < 0.65:
            del points[rnd.randrange(size)]
        elif roll < 0.85:
            index = rnd.randrange(size)
            moved = points[index].to_py()
            del points[index]
            replica.add(rnd.randint(0, size - 1), moved["id"], moved["lat"], moved["lon"])
        else:
            replica.notes.insert(rnd.randint(0, len(replica.notes)), "ab")
        made.extend(replica.take_outgoing())
        if rnd.random() < 0.4:  # sometimes two replicas sync, so later edits depend on others
            other = rnd.choice(replicas)
            if other is not replica:
                other.apply(replica.doc.get_update(other.doc.get_state()))
                other.take_outgoing()
    return made


def _trial(seed: int) -> tuple[bool, bool]:
    """Whether (a pycrdt replica fed shuffled updates, the room log) converged; raises if not."""
    rnd = random.Random(seed)
    editors = [Replica(client_id=i + 1) for i in range(3)]
    updates = _concurrent_edits(rnd, editors, ops=30)
    for a in editors:  # the reference: everyone fully synced, in order
        for b in editors:
            b.apply(a.doc.get_update(b.doc.get_state()))
    expected = canonical(editors[0].doc)
    delivery = updates + rnd.sample(updates, len(updates) // 4)  # duplicates
    rnd.shuffle(delivery)

    room = UpdateLog(max_bytes=10**7)
    late = Replica()
    for update in delivery:
        room.append(update)
        late.apply(update)
    assert canonical(load_doc(room.compact())) == expected, f"room log diverged, seed {seed}"
    naive_ok = late.state() == expected
    # The state-vector exchange a (re)connection runs: step 1 from the replica, step 2 back.
    step1 = parse_message(late.step1())
    late.apply(room.missing(step1.payload))
    assert late.state() == expected, f"replica diverged after the exchange, seed {seed}"
    return naive_ok, True


def test_shuffled_and_duplicated_updates_converge_after_state_vector_exchange() -> None:
    naive_failures = sum(not _trial(seed)[0] for seed in range(TRIALS))
    # How often pycrdt alone would have diverged (the upstream bug); not asserted, so that an
    # upstream fix does not fail the suite. The convergence above is what is pinned.
    print(f"{TRIALS} shuffled trials; pycrdt alone diverged in {naive_failures}")
