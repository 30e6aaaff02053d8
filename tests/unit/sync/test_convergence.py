"""Property-based simulations: 3-5 replicas, a faulty network, bad clocks; all converge.

Each scenario mixes edits of every merge kind, lost requests and answers, duplicated and
delayed (reordered) pushes, clock skews of up to an hour either way, clocks stepping
backwards, equal-millisecond ties, REST edits on the server, and a "poison" stamp ten years
ahead. Then the network heals and every replica syncs. The same scenario also runs under
wall-clock last-writer-wins, and the updates that design loses are counted and printed.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bikenode.sync.logic import MAX_DRIFT_MS
from tests.unit.sync.conftest import REPORT
from tests.unit.sync.simulation import (
    ELEMENTS,
    FIELD_NAMES,
    HOUR_MS,
    Run,
    Step,
    lost_writes,
    run,
    unpreserved_text_writes,
)

FATES = ["ok", "ok", "lose_request", "lose_response", "duplicate", "delay"]

steps_strategy = st.lists(
    st.one_of(
        st.tuples(
            st.just("edit"),
            st.integers(0, 4),
            st.integers(0, len(FIELD_NAMES) - 1),
            st.integers(0, 99),
        ),
        st.tuples(st.just("sync"), st.integers(0, 4), st.sampled_from(FATES)),
        st.tuples(st.just("deliver"), st.integers(0, 9)),
        st.tuples(st.just("tick"), st.sampled_from([0, 0, 1, 2, 40, 60_000])),
        st.tuples(st.just("step_clock"), st.integers(0, 4), st.integers(-HOUR_MS, 10 * 60_000)),
        st.tuples(st.just("poison"), st.integers(0, 4)),
        st.tuples(st.just("rest"), st.integers(0, 99)),
    ),
    min_size=1,
    max_size=80,
)
skews_strategy = st.lists(
    st.one_of(st.just(0), st.integers(-HOUR_MS, HOUR_MS)), min_size=3, max_size=5
)


def check_hlc_run(state: Run) -> None:
    """Every replica converged, nothing acknowledged was lost, every conflict was kept."""
    server = state.server
    for replica in state.replicas:
        assert replica.outbox == []
        assert {n: s.value for n, s in replica.mirror.items()} == {
            n: s.value for n, s in server.states.items()
        }
        assert [replica.view(n) for n in FIELD_NAMES] == [s.value for s in server.states.values()]
    writes = state.all_writes()
    assert all(server.apply_count.get(w.id) == 1 for w in writes)  # exactly once
    assert lost_writes(state) == []
    assert unpreserved_text_writes(state) == []
    distance = sum(w.amount for w in writes if w.field == "distance_m")
    assert abs(server.states["distance_m"].value - distance) < 1e-9
    for add in (w for w in writes if w.added is not None):
        removers = [w for w in writes if w.removed == add.added and add.id in w.deps]
        if not removers:  # no remove saw this add: add wins
            assert add.added in server.states["tags"].value
    assert set(server.states["tags"].value) <= set(ELEMENTS)
    assert server.clock.last.wall_ms <= server.world.now_ms + MAX_DRIFT_MS


def record(source: str, skews: list[int], steps: list[Step]) -> tuple[int, int]:
    hlc = run("hlc", skews, steps)
    check_hlc_run(hlc)
    wall = run("wall", skews, steps)
    wall_lost = len(lost_writes(wall)) + len(unpreserved_text_writes(wall))
    REPORT[f"{source}.scenarios"] += 1
    REPORT[f"{source}.writes"] += len(hlc.all_writes())
    REPORT[f"{source}.hlc_lost"] += len(lost_writes(hlc)) + len(unpreserved_text_writes(hlc))
    REPORT[f"{source}.wall_lost"] += wall_lost
    REPORT[f"{source}.conflicts"] += len(hlc.server.conflicts)
    REPORT[f"{source}.refused"] += hlc.server.refused
    return len(hlc.all_writes()), wall_lost


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skews=skews_strategy, steps=steps_strategy)
def test_replicas_converge_without_losing_acknowledged_writes(
    skews: list[int], steps: list[Step]
) -> None:
    record("hypothesis", skews, steps)


def random_scenario(rng: random.Random) -> tuple[list[int], list[Step]]:
    skews = [rng.choice([0, rng.randint(-HOUR_MS, HOUR_MS)]) for _ in range(rng.randint(3, 5))]
    steps: list[Step] = []
    for _ in range(rng.randint(20, 120)):
        roll = rng.random()
        if roll < 0.45:
            steps.append(
                ("edit", rng.randrange(5), rng.randrange(len(FIELD_NAMES)), rng.randrange(100))
            )
        elif roll < 0.75:
            steps.append(("sync", rng.randrange(5), rng.choice(FATES)))
        elif roll < 0.8:
            steps.append(("deliver", rng.randrange(10)))
        elif roll < 0.9:
            steps.append(("tick", rng.choice([0, 1, 2, 40, 60_000])))
        elif roll < 0.95:
            steps.append(("step_clock", rng.randrange(5), rng.randint(-HOUR_MS, 600_000)))
        elif roll < 0.97:
            steps.append(("poison", rng.randrange(5)))
        else:
            steps.append(("rest", rng.randrange(100)))
    return skews, steps


def test_wall_clock_lww_loses_updates_that_hlc_keeps() -> None:
    rng = random.Random(20260601)
    wall_lost = 0
    for _ in range(300):
        skews, steps = random_scenario(rng)
        wall_lost += record("seeded", skews, steps)[1]
    assert REPORT["seeded.hlc_lost"] == 0
    assert wall_lost > 0  # skewed wall clocks really do drop causally newer edits


def test_a_poison_stamp_is_refused_and_the_edit_still_lands() -> None:
    steps: list[Step] = [
        ("sync", 0, "ok"),
        ("poison", 1),
        ("edit", 1, FIELD_NAMES.index("sport"), 1),
        ("sync", 1, "ok"),
        ("sync", 0, "ok"),  # r0 sees r1's edit, then edits the same field
        ("edit", 0, FIELD_NAMES.index("sport"), 2),
        ("sync", 0, "ok"),
    ]
    state = run("hlc", [0, 0, 0], steps)
    check_hlc_run(state)
    assert state.server.refused >= 1
    assert state.server.states["sport"].value == "r0.1"  # the later edit, not the poisoned one
    wall = run("wall", [0, 0, 0], steps)
    assert wall.server.states["sport"].value == "r1.1"  # ten years ahead wins for a decade
    assert len(lost_writes(wall)) == 1
