"""Notifications' pure rules: quiet hours across DST, unsubscribe tokens, retries, texts."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.bikes import ComponentDue
from bikenode.health import AlertRaised
from bikenode.notifications.logic.catalogue import (
    EMAIL,
    IN_APP,
    Rendered,
    UnknownKind,
    effective,
    render,
)
from bikenode.notifications.logic.mail_text import mail_body
from bikenode.notifications.logic.quiet import BadQuietHours, release_at
from bikenode.notifications.logic.schedule import (
    GIVE_UP_AFTER,
    MAX_DELAY_S,
    next_try_at,
    retry_delay_s,
)
from bikenode.notifications.logic.tokens import BadToken, make_token, read_token
from bikenode.notifications.registry import Intent, intents_of

NIGHT = (22 * 60, 7 * 60)  # 22:00-07:00, over midnight


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_outside_quiet_hours_mail_goes_at_once() -> None:
    now = _utc(2026, 6, 1, 12, 0)  # 14:00 in Berlin (CEST)
    assert release_at(now, timezone="Europe/Berlin", start_min=NIGHT[0], end_min=NIGHT[1]) == now


def test_late_evening_waits_until_seven_next_morning_local() -> None:
    now = _utc(2026, 6, 1, 21, 30)  # 23:30 CEST
    held = release_at(now, timezone="Europe/Berlin", start_min=NIGHT[0], end_min=NIGHT[1])
    assert held == _utc(2026, 6, 2, 5, 0)  # 07:00 CEST


def test_after_midnight_waits_until_seven_the_same_morning() -> None:
    now = _utc(2026, 6, 2, 1, 0)  # 03:00 CEST: the window began yesterday
    held = release_at(now, timezone="Europe/Berlin", start_min=NIGHT[0], end_min=NIGHT[1])
    assert held == _utc(2026, 6, 2, 5, 0)


def test_the_night_the_clocks_go_forward_ends_at_seven_summer_time() -> None:
    # Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST. 23:00 CET on the 28th = 22:00 UTC.
    now = _utc(2026, 3, 28, 22, 0)
    held = release_at(now, timezone="Europe/Berlin", start_min=NIGHT[0], end_min=NIGHT[1])
    assert held == _utc(2026, 3, 29, 5, 0)  # 07:00 CEST, a night one hour shorter


def test_the_night_the_clocks_go_back_ends_at_seven_winter_time() -> None:
    # Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET. 23:00 CEST on the 24th.
    now = _utc(2026, 10, 24, 21, 0)
    held = release_at(now, timezone="Europe/Berlin", start_min=NIGHT[0], end_min=NIGHT[1])
    assert held == _utc(2026, 10, 25, 6, 0)  # 07:00 CET


def test_a_window_ending_inside_the_spring_gap_ends_when_the_clocks_jump() -> None:
    # 01:00-02:30 local; on 2026-03-29 02:30 does not exist in Berlin (02:00 -> 03:00).
    now = _utc(2026, 3, 29, 0, 30)  # 01:30 CET
    held = release_at(now, timezone="Europe/Berlin", start_min=60, end_min=150)
    assert held == _utc(2026, 3, 29, 1, 0)  # 03:00 CEST: the clocks jump past 02:30


def test_new_york_quiet_hours_follow_its_own_dst_date() -> None:
    # US DST starts 2026-03-08; Europe's three weeks later. 23:00 EST on the 7th = 04:00 UTC.
    now = _utc(2026, 3, 8, 4, 0)
    held = release_at(now, timezone="America/New_York", start_min=NIGHT[0], end_min=NIGHT[1])
    assert held == _utc(2026, 3, 8, 11, 0)  # 07:00 EDT


def test_a_daytime_window_holds_only_during_the_day() -> None:
    start, end = 9 * 60, 17 * 60
    assert release_at(_utc(2026, 1, 5, 12), timezone="UTC", start_min=start, end_min=end) == (
        _utc(2026, 1, 5, 17)
    )
    late = _utc(2026, 1, 5, 18)
    assert release_at(late, timezone="UTC", start_min=start, end_min=end) == late


def test_an_unknown_timezone_counts_as_utc() -> None:
    now = _utc(2026, 1, 5, 23)
    held = release_at(now, timezone="Mars/Olympus", start_min=NIGHT[0], end_min=NIGHT[1])
    assert held == _utc(2026, 1, 6, 7)


@pytest.mark.parametrize(("start", "end"), [(0, 0), (-1, 60), (60, 1440), (10**9, 5)])
def test_quiet_hours_refuse_windows_outside_a_day_or_empty(start: int, end: int) -> None:
    with pytest.raises(BadQuietHours):
        release_at(_utc(2026, 1, 1), timezone="UTC", start_min=start, end_min=end)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(9998, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.integers(0, 1439),
    st.integers(0, 1439),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_release_is_never_before_now_nor_more_than_a_day_later(
    now: datetime, start: int, end: int, zone: str
) -> None:
    if start == end:
        return
    held = release_at(now, timezone=zone, start_min=start, end_min=end)
    assert now <= held <= now + timedelta(hours=25)


def test_a_token_names_its_user_and_type_and_nothing_else() -> None:
    user = uuid.uuid4()
    token = make_token("secret", user_id=user, kind="component_due")
    found = read_token("secret", token)
    assert (found.user_id, found.kind) == (user, "component_due")


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("component_due", "everything"),
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: uuid.uuid4().hex + t[32:],
        lambda t: t + ".x",
        lambda t: "x" * 10_000,
        lambda t: "",
    ],
)
def test_a_changed_or_forged_token_is_refused(change: object) -> None:
    token = make_token("secret", user_id=uuid.uuid4(), kind="component_due")
    with pytest.raises(BadToken):
        read_token("secret", change(token))  # type: ignore[operator]


def test_a_token_of_another_server_is_refused() -> None:
    token = make_token("other secret", user_id=uuid.uuid4(), kind="component_due")
    with pytest.raises(BadToken):
        read_token("secret", token)


def test_retries_double_from_thirty_seconds_up_to_six_hours() -> None:
    assert [retry_delay_s(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay_s(20) == MAX_DELAY_S
    assert retry_delay_s(10**9) == MAX_DELAY_S  # no overflow for absurd counts


def test_retry_waits_stay_within_jitter_and_stop_after_four_days() -> None:
    first = _utc(2026, 1, 1)
    rng = random.Random(1)
    at = next_try_at(1, now=first, first_at=first, rng=rng)
    assert at is not None and 27 <= (at - first).total_seconds() <= 33
    assert next_try_at(30, now=first + GIVE_UP_AFTER, first_at=first) is None
    with pytest.raises(ValueError, match="attempt number"):
        retry_delay_s(0)


def test_defaults_apply_until_the_rider_chooses() -> None:
    assert effective("component_due", EMAIL, {}) is True
    assert effective("component_due", EMAIL, {("component_due", EMAIL): False}) is False
    assert effective("component_due", IN_APP, {("component_due", EMAIL): False}) is True
    with pytest.raises(UnknownKind):
        effective("component_due", "pigeon", {})
    with pytest.raises(UnknownKind):
        render("nothing", {})


def test_the_text_says_due_or_nearly_due_and_names_no_component() -> None:
    due = render("component_due", {"threshold": "due", "component_id": "c1"})
    warn = render("component_due", {"threshold": "warn", "component_id": "c1"})
    assert "due for service" in due.title and "nearly" in warn.title
    assert "c1" not in due.text + due.title + warn.text


def test_the_html_mail_escapes_every_value() -> None:
    body = mail_body(
        Rendered("<b>t</b>", "a & b", "/bikes"),
        label='"x"',
        public_url="https://bike.example/",
        unsubscribe_url="https://bike.example/unsubscribe?token=a&b",
    )
    assert "<b>t</b>" not in body.html and "&lt;b&gt;t&lt;/b&gt;" in body.html
    assert "token=a&amp;b" in body.html
    assert "https://bike.example/bikes" in body.text
    assert "https://bike.example/unsubscribe?token=a&b" in body.text


def test_a_component_due_tells_the_bikes_owner_only() -> None:
    owner, component = uuid.uuid4(), uuid.uuid4()
    event = ComponentDue(
        component_id=component, owner_id=owner, threshold="due", crossed_on=date(2026, 1, 1)
    )
    assert intents_of(event, _utc(2026, 1, 1)) == [
        Intent(owner, "component_due", {"component_id": str(component), "threshold": "due"})
    ]


def test_a_health_alert_about_a_recent_day_tells_its_rider_without_any_value() -> None:
    owner, alert = uuid.uuid4(), uuid.uuid4()
    event = AlertRaised(
        alert_id=alert, owner_id=owner, kind="resting_hr_elevated", day=date(2026, 3, 10)
    )
    [intent] = intents_of(event, _utc(2026, 3, 11, 6))
    assert intent == Intent(owner, "health_alert", {"alert_id": str(alert)})
    shown = render(intent.kind, intent.params)
    assert "heart" not in (shown.title + shown.text).lower() and shown.link == "/health"
    assert effective("health_alert", EMAIL, {}) is False  # the inbox is asked for, not assumed


def test_a_health_alert_about_an_old_day_is_history_not_news() -> None:
    event = AlertRaised(
        alert_id=uuid.uuid4(), owner_id=uuid.uuid4(), kind="hrv_low", day=date(2025, 3, 1)
    )
    assert intents_of(event, _utc(2026, 3, 11)) == []
