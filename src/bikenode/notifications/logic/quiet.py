"""Quiet hours: a daily window, in the rider's own timezone, when e-mail waits.

The window is given in minutes after local midnight, [start, end); it may wrap past
midnight (22:00-07:00). Local times are resolved with the zone's rules on each day, so the
window keeps its wall-clock hours across daylight-saving changes. A local end time that
does not exist (skipped by a spring-forward) is taken as the first instant after the gap.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60


class BadQuietHours(ValueError):
    """A window or timezone that cannot be used."""


def check_window(start_min: int, end_min: int) -> None:
    """Raise BadQuietHours unless both ends are minutes of a day and differ."""
    for name, value in (("start", start_min), ("end", end_min)):
        if not 0 <= value < MINUTES_PER_DAY:
            raise BadQuietHours(f"expected the {name} in minutes 0-1439, got {value}")
    if start_min == end_min:
        raise BadQuietHours("expected a start and an end that differ, got the same minute")


def zone(name: str) -> ZoneInfo:
    """The timezone of that IANA name; UTC when the name is unknown or empty."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(day: datetime, minute: int, tz: ZoneInfo) -> datetime:
    wall = datetime.combine(day.date(), time(minute // 60, minute % 60), tzinfo=tz)
    late = wall.astimezone(UTC)
    naive = wall.replace(tzinfo=None)
    if late.astimezone(tz).replace(tzinfo=None) == naive:
        return late
    # A wall time in a spring-forward gap does not survive a round trip through UTC. The
    # clocks pass it at the jump: the first instant whose local time is at or after it,
    # found to the second between the two readings of the wall time (fold 0 and 1).
    early = wall.replace(fold=1).astimezone(UTC)
    while late - early > timedelta(seconds=1):
        middle = early + (late - early) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            late = middle
        else:
            early = middle
    return late


def local_instant(day: datetime, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of `minute` after local midnight on `day`'s date in `tz`."""
    return _local(day, minute, tz)


def release_at(now: datetime, *, timezone: str, start_min: int, end_min: int) -> datetime:
    """`now` if it falls outside quiet hours, else the UTC instant they end."""
    check_window(start_min, end_min)
    tz = zone(timezone)
    today = now.astimezone(tz)
    for offset in (-1, 0):  # a window that wraps midnight may have started yesterday
        day = today + timedelta(days=offset)
        start = _local(day, start_min, tz)
        end_day = day + timedelta(days=1) if end_min < start_min else day
        end = _local(end_day, end_min, tz)
        if start <= now < end:
            return end
    return now
