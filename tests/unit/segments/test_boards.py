"""Boards as pure functions: one best effort per rider, deterministic ties, periods."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bikenode.segments.logic.boards import BoardEffort, best_per_rider, period_start

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


def test_periods_start_at_the_year_and_month_in_utc() -> None:
    now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert period_start("all", now) is None
    assert period_start("year", now) == datetime(2026, 1, 1, tzinfo=UTC)
    assert period_start("month", now) == datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="expected a period"):
        period_start("week", now)
