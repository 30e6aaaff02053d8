"""Service intervals: how much of a component's interval is used, and whether it is due.

An interval has up to three limits: distance (m), moving time (s) and calendar days. Each
counts from the last service or replacement (or, before any, from the component's first
installation, with its starting usage for a used part). The fraction used is the largest
of the limits' fractions: whichever comes first. A component is due at a fraction of 1 or
more, and warned about from `warn_at` (0.8 by default) on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bikenode.bikes.logic.usage import Usage

WARN_AT = 0.8
SECONDS_PER_DAY = 86_400.0

Limit = Literal["distance", "moving_time", "days"]


@dataclass(frozen=True)
class ServiceInterval:
    """Limits of one interval; None for a limit that does not apply."""

    distance_m: float | None = None
    moving_s: float | None = None
    days: float | None = None

    @property
    def empty(self) -> bool:
        return self.distance_m is None and self.moving_s is None and self.days is None


@dataclass(frozen=True)
class IntervalStatus:
    """How far into its interval a component is.

    fraction is None when the interval has no limit; limit names the limit nearest its end.
    """

    fraction: float | None
    limit: Limit | None
    due: bool
    warn: bool


def merged(default: ServiceInterval, override: ServiceInterval) -> ServiceInterval:
    """The component's own limits where set, the type's default for the others."""
    return ServiceInterval(
        override.distance_m if override.distance_m is not None else default.distance_m,
        override.moving_s if override.moving_s is not None else default.moving_s,
        override.days if override.days is not None else default.days,
    )


def interval_status(
    interval: ServiceInterval,
    used: Usage,
    *,
    since: datetime,
    now: datetime,
    warn_at: float = WARN_AT,
) -> IntervalStatus:
    """The fraction used (largest of the limits), which limit that is, due and warn flags.

    `used` is the usage since `since` (the last service, or the start of the part's life).
    Raises ValueError for a limit that is not positive or a warn_at outside (0, 1].
    """
    if not 0 < warn_at <= 1:
        raise ValueError(f"expected a warning fraction in (0, 1], got {warn_at}")
    fractions: dict[Limit, float] = {}
    for limit, allowed, spent in (
        ("distance", interval.distance_m, used.distance_m),
        ("moving_time", interval.moving_s, used.moving_s),
        ("days", interval.days, max(0.0, (now - since).total_seconds() / SECONDS_PER_DAY)),
    ):
        if allowed is None:
            continue
        if allowed <= 0:
            raise ValueError(f"expected a positive {limit} limit, got {allowed}")
        fractions[limit] = spent / allowed  # type: ignore[index]
    if not fractions:
        return IntervalStatus(None, None, due=False, warn=False)
    limit = max(fractions, key=lambda name: fractions[name])
    fraction = fractions[limit]
    return IntervalStatus(fraction, limit, due=fraction >= 1, warn=fraction >= warn_at)
