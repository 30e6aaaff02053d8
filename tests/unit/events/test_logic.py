"""Delivery rules: backoff, dead letters after the last attempt, order per aggregate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bikenode.events.logic import MAX_BACKOFF_S, OrderGate, after_failure, backoff_s

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_backoff_doubles_from_one_second_up_to_five_minutes() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_s(30) == MAX_BACKOFF_S


@given(st.integers(min_value=1, max_value=60))
def test_backoff_never_shrinks(attempts: int) -> None:
    assert backoff_s(attempts + 1) >= backoff_s(attempts) > 0


def test_a_failure_is_retried_until_the_last_attempt_then_dead() -> None:
    first = after_failure(0, max_attempts=3, now=NOW)
    assert (first.dead, first.attempts, first.next_attempt_at) == (
        False,
        1,
        NOW + timedelta(seconds=1),
    )
    assert not after_failure(1, max_attempts=3, now=NOW).dead
    assert after_failure(2, max_attempts=3, now=NOW).dead


def test_a_held_aggregate_blocks_only_its_own_events() -> None:
    gate = OrderGate(["ride-a"])
    assert not gate.may_deliver("ride-a")
    assert gate.may_deliver("ride-b")
    gate.hold("ride-b")
    assert not gate.may_deliver("ride-b")
    assert gate.may_deliver("ride-c")
