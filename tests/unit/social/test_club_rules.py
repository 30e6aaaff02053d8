"""Club rules: texts, approximate places, start times, ISO weeks, roles, heirs, rankings and
invite tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.social.logic.clubs import (
    BadInvite,
    ClubRuleBroken,
    RiderWeek,
    approximate,
    can_remove,
    check_start,
    clean_text,
    iso_week,
    rank,
    read_invite,
    sign_invite,
    successor,
    totals,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_clean_text_trims_and_names_the_limit() -> None:
    assert clean_text("  Dawn Patrol ", limit=80, what="name") == "Dawn Patrol"
    with pytest.raises(ClubRuleBroken, match="name of at most 80 characters, got 81"):
        clean_text("x" * 81, limit=80, what="name")
    with pytest.raises(ClubRuleBroken, match="control character"):
        clean_text("a\x00b", limit=80, what="post")
    with pytest.raises(ClubRuleBroken, match="a post of at least 1 character"):
        clean_text("   ", limit=80, what="post")


@given(
    st.floats(min_value=-90, max_value=90, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
)
def test_an_approximate_place_is_within_a_kilometre_and_coarse(lat: float, lon: float) -> None:
    point = approximate(lat, lon)
    assert point is not None
    assert abs(point[0] - lat) <= 0.005 + 1e-9 and abs(point[1] - lon) <= 0.005 + 1e-9
    assert point == (round(point[0], 2), round(point[1], 2))


def test_an_approximate_place_needs_both_halves_on_the_globe() -> None:
    assert approximate(None, None) is None
    with pytest.raises(ClubRuleBroken, match="both"):
        approximate(45.0, None)
    with pytest.raises(ClubRuleBroken, match="on the globe"):
        approximate(95.0, 0.0)


def test_a_start_needs_a_zone_and_a_year_up_to_2100() -> None:
    paris = timezone(timedelta(hours=1))
    assert check_start(datetime(2026, 12, 12, 9, tzinfo=paris)) == datetime(
        2026, 12, 12, 8, tzinfo=UTC
    )
    with pytest.raises(ClubRuleBroken, match="naive"):
        check_start(datetime(2026, 12, 12, 9))  # noqa: DTZ001
    with pytest.raises(ClubRuleBroken, match="no later than 2100, got 2101"):
        check_start(datetime(2101, 1, 1, tzinfo=UTC))


def test_iso_weeks_start_on_monday_in_utc() -> None:
    start, end, label = iso_week("2026-W49", today=date(2020, 1, 1))
    assert (start, end - start, label) == (
        datetime(2026, 11, 30, tzinfo=UTC),
        timedelta(7),
        "2026-W49",
    )
    assert iso_week(None, today=date(2026, 12, 7))[2] == "2026-W50"
    assert iso_week("2026-W53", today=date(2026, 1, 1))[2] == "2026-W53"  # 2026 has 53
    with pytest.raises(ClubRuleBroken, match="week the year 2025 has"):
        iso_week("2025-W53", today=date(2026, 1, 1))
    with pytest.raises(ClubRuleBroken, match="like 2026-W49"):
        iso_week("2026-49", today=date(2026, 1, 1))


def test_the_owner_removes_anyone_else_and_admins_plain_members() -> None:
    assert can_remove("owner", "admin") and can_remove("owner", "member")
    assert can_remove("admin", "member") and not can_remove("admin", "admin")
    assert not can_remove("owner", "owner") and not can_remove("member", "member")


def test_the_heir_is_the_longest_standing_admin_else_member() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    day = timedelta(days=1)
    members = [(a, "member", NOW - 9 * day), (b, "admin", NOW - day), (c, "admin", NOW - 2 * day)]
    assert successor(members) == c
    assert successor([(a, "member", NOW), (b, "member", NOW - day)]) == b
    assert successor([]) is None


def test_rank_orders_by_the_board_and_skips_riders_without_rides() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    weeks = [
        RiderWeek(a, 2, 80_000.0, 10_000.0, 500.0),
        RiderWeek(b, 1, 60_000.0, 12_000.0, 1500.0),
        RiderWeek(c, 0, 0.0, 0.0, 0.0),
    ]
    assert [w.user_id for w in rank(weeks, by="distance")] == [a, b]
    assert [w.user_id for w in rank(weeks, by="time")] == [b, a]
    assert [w.user_id for w in rank(weeks, by="elevation")] == [b, a]
    assert totals(weeks) == (3, 140_000.0, 22_000.0, 2000.0)


def test_an_invite_token_is_signed_and_expires() -> None:
    invite_id = uuid.uuid4()
    token = sign_invite("s3cret", invite_id=invite_id, expires_at=NOW + timedelta(hours=1))
    assert read_invite("s3cret", token, now=NOW) == invite_id
    with pytest.raises(BadInvite, match="not valid"):
        read_invite("another", token, now=NOW)
    forged = token.replace(invite_id.hex, uuid.uuid4().hex)
    with pytest.raises(BadInvite, match="not valid"):
        read_invite("s3cret", forged, now=NOW)
    with pytest.raises(BadInvite, match="expired"):
        read_invite("s3cret", token, now=NOW + timedelta(hours=2))
    with pytest.raises(BadInvite, match="three parts"):
        read_invite("s3cret", "garbage", now=NOW)
