"""Boards as pure functions: one best effort per rider, deterministic ties, periods."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bikenode.segments.logic.boards import (
    BoardEffort,
    best_per_rider,
    bests_of,
    period_key,
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
