"""Digests: chatty types (kudos, comments, follows) held and mailed as one e-mail, daily or
weekly, at the hour the rider chose in their own timezone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bikenode.notifications.logic.catalogue import Rendered
from bikenode.notifications.logic.quiet import local_instant, zone

DAILY, WEEKLY, OFF = "daily", "weekly", "off"
PERIODS = (OFF, DAILY, WEEKLY)
# The types a rider may gather: frequent, light, and nothing in them is urgent.
DIGEST_KINDS = ("kudos", "comment", "new_follower", "follow_accepted")
DEFAULT_HOUR, DEFAULT_WEEKDAY = 18, 6  # Sunday evening, a good time to read a week's kudos
MAX_ITEMS_LISTED = 50  # a digest lists this many and counts the rest
# What a digest's unsubscribe token names instead of a type: the periods it stops.
UNSUBSCRIBE_DIGESTS = {
    "digest-daily": (DAILY,),
    "digest-weekly": (WEEKLY,),
    "digest-all": (DAILY, WEEKLY),
}
UNSUBSCRIBE_LABELS = {
    "digest-daily": "Your daily digest",
    "digest-weekly": "Your weekly digest",
    "digest-all": "Your digests",
}


def digest_token_kind(periods: set[str]) -> str:
    """The unsubscribe token kind for a digest carrying types of these periods."""
    if periods == {DAILY}:
        return "digest-daily"
    return "digest-weekly" if periods == {WEEKLY} else "digest-all"


class BadSchedule(ValueError):
    """An hour or weekday that is not one."""


def check_schedule(hour: int, weekday: int) -> None:
    """Raise BadSchedule unless hour is 0-23 and weekday 0 (Monday) to 6 (Sunday)."""
    if not 0 <= hour <= 23:
        raise BadSchedule(f"expected a digest hour of 0-23, got {hour}")
    if not 0 <= weekday <= 6:
        raise BadSchedule(f"expected a digest weekday of 0 (Monday) to 6 (Sunday), got {weekday}")


def next_digest_at(
    now: datetime, *, period: str, timezone: str, hour: int, weekday: int
) -> datetime:
    """The first instant after `now` at `hour`:00 local time (on `weekday` for a weekly
    digest), in UTC; local times are the zone's on that day, so DST keeps the wall hour."""
    if period not in (DAILY, WEEKLY):
        raise BadSchedule(f"expected a period of {DAILY} or {WEEKLY}, got {period!r}")
    check_schedule(hour, weekday)
    tz = zone(timezone)
    today = now.astimezone(tz)
    for offset in range(8):
        day = today + timedelta(days=offset)
        if period == WEEKLY and day.weekday() != weekday:
            continue
        at = local_instant(day, hour * 60, tz)
        if at > now:
            return at
    raise AssertionError("unreachable: a week holds every weekday")  # pragma: no cover


def digest_body(items: Sequence[Rendered], *, period: str) -> tuple[str, list[Rendered]]:
    """The subject and the items listed (the newest MAX_ITEMS_LISTED) of one digest."""
    word = "today" if period == DAILY else "this week"
    count = len(items)
    subject = f"{count} new notification{'s' if count != 1 else ''} {word}"
    return subject, list(items[-MAX_ITEMS_LISTED:])
