"""Boards as pure functions: one best effort per rider, deterministic ties, periods."""

from __future__ import annotations

import functools
import random
import uuid
from datetime import UTC, datetime

import pytest

from bikenode.segments.logic.boards import (
    BoardEffort,
    best_per_rider,
    bests_of,
    merge_next_bests,
    period_bounds,
    period_key,
    period_keys,
    personal_bests,
)

A, B = uuid.UUID(int=1), uuid.UUID(int=2)
DAY = datetime(2026, 6, 1, tzinfo=UTC)


def _effort(owner: uuid.UUID, elapsed: float, n: int, when: datetime = DAY) -> BoardEffort:
    return BoardEffort(uuid.UUID(int=100 + n), owner, elapsed, when)


def test_each_rider_appears_once_with_their_best() -> None:
    board = best_per_rider([_effort(A, 300, 1), _effort(A, 280, 2), _effort(B, 290, 3)])
    assert [(e.owner_id, e.elapsed_s) for e in board] == [(A, 280), (B, 290)]


def test_a_tie_goes_to_the_earlier_effort_then_the_smaller_id() -> None:
    later = datetime(2026, 6, 2, tzinfo=UTC)
    board = best_per_rider([_effort(B, 300, 1, later), _effort(A, 300, 2)])
    assert [e.owner_id for e in board] == [A, B]
    same = best_per_rider([_effort(B, 300, 1), _effort(A, 300, 2)])
    assert [e.owner_id for e in same] == [B, A]


def test_period_keys_follow_the_utc_year_and_month() -> None:
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert [period_key(p, now) for p in ("all", "year", "month")] == ["all", "y2026", "m2026-12"]
    with pytest.raises(ValueError, match="expected a period"):
        period_key("week", now)


def test_bests_keep_public_and_own_views_per_period() -> None:
    may, june = datetime(2026, 5, 3, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC)
    private_fast = _effort(A, 250, 1, may)
    public_slow = _effort(A, 300, 2, june)
    bests = {
        (b.scope, b.period): b.effort
        for b in bests_of([(private_fast, False), (public_slow, True)])
    }
    assert bests["all", "all"] == private_fast
    assert bests["public", "all"] == public_slow
    assert bests["all", "m2026-05"] == private_fast and ("public", "m2026-05") not in bests
    assert bests["public", "y2026"] == public_slow


def test_personal_bests_mark_each_effort_that_beat_all_before_it() -> None:
    times = [300, 310, 290, 290, 250, 260]
    efforts = [_effort(A, t, n) for n, t in enumerate(times)]
    assert personal_bests(efforts) == [True, False, True, False, True, False]
    assert personal_bests([]) == []


def test_age_and_weight_bands_have_closed_lower_edges() -> None:
    from bikenode.segments.logic.boards import AGE_BANDS, age_band, parse_band, weight_band

    assert [age_band(2000, y) for y in (2024, 2025, 2034, 2035, 2064, 2065)] == [
        "<25", "25-34", "25-34", "35-44", "55-64", "65+"
    ]  # fmt: skip
    assert [weight_band(w) for w in (54.9, 55.0, 74.9, 75.0, 94.9, 95.0)] == [
        "<55", "55-64", "65-74", "75-84", "85-94", "95+"
    ]  # fmt: skip
    assert age_band(None, 2026) is None and weight_band(None) is None
    assert parse_band("65 ", AGE_BANDS, "age") == "65+"
    with pytest.raises(ValueError, match="expected age as one of"):
        parse_band("30-40", AGE_BANDS, "age")


C = uuid.UUID(int=3)


def test_period_bounds_hold_exactly_the_efforts_of_their_key() -> None:
    assert period_bounds("all") is None
    for when in (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)):
        for key in period_keys(when)[1:]:
            bounds = period_bounds(key)
            assert bounds is not None and bounds[0] <= when < bounds[1], key
    assert period_bounds("m2026-12") == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_a_best_the_viewer_may_not_see_gives_way_to_the_riders_next_best() -> None:
    page = [(_effort(A, 280, 1), False), (_effort(B, 290, 2), True), (_effort(C, 310, 3), True)]
    nexts = {A: _effort(A, 300, 4)}
    board = merge_next_bests(page, lambda best: nexts.get(best.owner_id), limit=10)
    assert [(e.owner_id, e.elapsed_s) for e in board] == [(B, 290), (A, 300), (C, 310)]
    # Slower than everyone read: last; with no effort the viewer may see: gone.
    nexts[A] = _effort(A, 400, 5)
    board = merge_next_bests(page, lambda best: nexts.get(best.owner_id), limit=10)
    assert [e.owner_id for e in board] == [B, C, A]
    assert [e.owner_id for e in merge_next_bests(page, lambda best: None, limit=10)] == [B, C]


def test_merging_next_bests_equals_a_board_of_the_visible_efforts_alone() -> None:
    rng = random.Random(19)
    for _ in range(200):
        riders = [uuid.UUID(int=10 + n) for n in range(rng.randint(1, 8))]
        efforts = [
            (_effort(rng.choice(riders), rng.randint(280, 300), n), rng.random() < 0.6)
            for n in range(rng.randint(1, 25))
        ]
        bests = best_per_rider(e for e, _ in efforts)
        visible = best_per_rider(e for e, shown in efforts if shown)
        hidden = {e.effort_id for e, shown in efforts if not shown}
        page = [(b, b.effort_id not in hidden) for b in bests]
        by_rider = {e.owner_id: e for e in visible}
        limit = rng.randint(1, 6)
        merged = merge_next_bests(page, functools.partial(_next_of, by_rider), limit)
        assert merged == visible[:limit]


def _next_of(found: dict[uuid.UUID, BoardEffort], best: BoardEffort) -> BoardEffort | None:
    return found.get(best.owner_id)
