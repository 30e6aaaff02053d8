"""When a suspension refuses sign-in: set and not yet ended (or for good), naming its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bikenode.accounts.logic import suspension_refusal

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_no_suspension_refuses_nothing() -> None:
    assert suspension_refusal(None, None, NOW) is None


def test_a_timed_suspension_names_its_end_and_ends_by_itself() -> None:
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=6)
    assert suspension_refusal(start, end, NOW) == (
        "this account is suspended by a moderator until 2026-12-13T12:00:00+00:00"
    )
    assert suspension_refusal(start, end, end) is None  # the end itself is free again
    assert suspension_refusal(start, end, end + timedelta(seconds=1)) is None


def test_a_suspension_for_good_never_ends_by_itself() -> None:
    refusal = suspension_refusal(NOW, None, NOW + timedelta(days=36500))
    assert refusal == "this account is suspended by a moderator for good"
