"""When a component crossed the thresholds of its current interval: warn, then due.

A crossing belongs to one interval (from the last service or replacement, or before any
from the first installation with the starting usage included) and one threshold: `warn`
at the warn fraction (0.8 by default) and `due` at 1. It happened at the earliest moment
any limit reached the threshold:

- distance or moving time: the start of the ride that took the running sum (rides in start
  order, the starting usage first) to the threshold, or the interval's start if the
  starting usage alone reaches it;
- calendar days: `since + threshold * days`, once that moment has passed.

So an old ride imported later that pushes a part over a threshold gives the date it really
happened, not the import's. The usage at a crossing is the sum up to and including that
moment (starting usage included).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bikenode.bikes.logic.intervals import WARN_AT, Limit, ServiceInterval
from bikenode.bikes.logic.usage import RideOnBike, Usage

Threshold = Literal["warn", "due"]


@dataclass(frozen=True)
class Crossing:
    """A threshold crossed at `at` by `limit`, with the usage of the interval by then."""

    threshold: Threshold
    fraction: float
    at: datetime
    limit: Limit
    usage: Usage


def thresholds(warn_at: float = WARN_AT) -> tuple[tuple[Threshold, float], ...]:
    """The thresholds announced, lowest first; ValueError for a warn_at outside (0, 1]."""
    if not 0 < warn_at <= 1:
        raise ValueError(f"expected a warning fraction in (0, 1], got {warn_at}")
    return (("warn", warn_at), ("due", 1.0))


def _usage_crossing(
    interval: ServiceInterval, start: Usage, since: datetime, rides: Sequence[RideOnBike], at: float
) -> tuple[datetime, Limit] | None:
    """The first moment distance or moving time reached `at` of its limit, if it has."""
    limits: list[tuple[Limit, float]] = []
    if interval.distance_m is not None:
        limits.append(("distance", interval.distance_m * at))
    if interval.moving_s is not None:
        limits.append(("moving_time", interval.moving_s * at))
    if not limits:
        return None
    used = start
    for limit, needed in limits:
        if _spent(used, limit) >= needed:
            return since, limit
    for ride in rides:
        used = used + ride.usage
        for limit, needed in limits:
            if _spent(used, limit) >= needed and ride.started_at is not None:
                return max(since, ride.started_at), limit
    return None


def _spent(used: Usage, limit: Limit) -> float:
    return used.distance_m if limit == "distance" else used.moving_s


def crossings(
    interval: ServiceInterval,
    *,
    start: Usage,
    since: datetime,
    rides: Sequence[RideOnBike],
    now: datetime,
    warn_at: float = WARN_AT,
) -> list[Crossing]:
    """The thresholds the interval has crossed by `now`, each with when, how and the usage.

    `rides` are the rides counted in this interval (started at or after `since`), in any
    order; `start` is the starting usage (zero after a service). Figures in metres and
    seconds; `interval.days` in days.
    """
    ordered = sorted(
        (r for r in rides if r.started_at is not None and since <= r.started_at <= now),
        key=lambda r: (r.started_at, r.ride_id),
    )
    found = []
    for threshold, fraction in thresholds(warn_at):
        candidates: list[tuple[datetime, Limit]] = []
        by_usage = _usage_crossing(interval, start, since, ordered, fraction)
        if by_usage is not None:
            candidates.append(by_usage)
        if interval.days is not None:
            moment = since + timedelta(days=interval.days * fraction)
            if moment <= now:
                candidates.append((moment, "days"))
        if not candidates:
            continue
        at, limit = min(candidates, key=lambda c: c[0])
        used = start
        for ride in ordered:
            if ride.started_at is not None and ride.started_at <= at:
                used = used + ride.usage
        found.append(Crossing(threshold, fraction, at, limit, used))
    return found
