"""Fitness' bookkeeping rules, pure: dated thresholds, date ranges, days, stored curves.

The sports science (stress, load, curves, models) lives in `fitness/logic/`; this module
only decides which threshold applies on a day, which days a request may span, on which day a
ride counts, and how a curve is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

THRESHOLD_KINDS = ("ftp_w", "max_hr_bpm", "resting_hr_bpm", "threshold_hr_bpm")
# The plausible range of each threshold: outside it, a typo rather than a rider.
THRESHOLD_BOUNDS: dict[str, tuple[float, float]] = {
    "ftp_w": (30.0, 700.0),
    "max_hr_bpm": (80.0, 240.0),
    "resting_hr_bpm": (20.0, 120.0),
    "threshold_hr_bpm": (60.0, 230.0),
}
MAX_RANGE_DAYS = 20 * 366  # twenty years of days, leap days included
MAX_THRESHOLDS = 500  # dated values per rider, all kinds together

FloatArray = npt.NDArray[np.float64]


class RuleError(ValueError):
    """An input the rules refuse; the message says what was expected and what came."""


@dataclass(frozen=True, order=True)
class DatedValue:
    """One threshold value, in force from valid_from until the next value of its kind."""

    kind: str
    valid_from: date
    value: float


def check_thresholds(values: Sequence[DatedValue]) -> None:
    """RuleError unless every value has a known kind, a plausible value, and each kind at
    most one value per day."""
    if len(values) > MAX_THRESHOLDS:
        raise RuleError(f"expected at most {MAX_THRESHOLDS} dated values, got {len(values)}")
    seen: set[tuple[str, date]] = set()
    for item in values:
        if item.kind not in THRESHOLD_BOUNDS:
            raise RuleError(
                f"expected a kind among {', '.join(THRESHOLD_KINDS)}, got {item.kind!r}"
            )
        low, high = THRESHOLD_BOUNDS[item.kind]
        if not low <= item.value <= high:
            raise RuleError(
                f"expected {item.kind} from {low:g} to {high:g}, got {item.value:g}"
                f" (from {item.valid_from})"
            )
        if (item.kind, item.valid_from) in seen:
            raise RuleError(f"expected one {item.kind} per day, got two from {item.valid_from}")
        seen.add((item.kind, item.valid_from))


def in_force(values: Iterable[DatedValue], day: date) -> dict[str, float]:
    """Each kind's value in force on the day: the latest valid_from on or before it."""
    latest: dict[str, DatedValue] = {}
    for item in values:
        if item.valid_from <= day:
            current = latest.get(item.kind)
            if current is None or item.valid_from > current.valid_from:
                latest[item.kind] = item
    return {kind: item.value for kind, item in latest.items()}


def first_changed_day(old: Iterable[DatedValue], new: Iterable[DatedValue]) -> date | None:
    """The first day on which some threshold in force differs between two histories (None:
    none does), i.e. the first ride day whose figures a change can alter."""
    changed = set(old) ^ set(new)
    return min((item.valid_from for item in changed), default=None)


def check_range(start: date, end: date, *, max_days: int = MAX_RANGE_DAYS) -> None:
    """RuleError unless start is on or before end and the range spans at most max_days."""
    if start > end:
        raise RuleError(f"expected from on or before to, got from {start} after to {end}")
    days = (end - start).days + 1
    if days > max_days:
        raise RuleError(f"expected a range of at most {max_days} days, got {days}")


def local_day(started_at: datetime, timezone: str) -> date:
    """The calendar day a ride started on in its rider's time zone (UTC if unknown)."""
    return started_at.astimezone(rider_zone(timezone)).date()


def rider_zone(timezone: str) -> ZoneInfo:
    """The rider's time zone by name, UTC if the name is unknown."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def pack_curve(watts: FloatArray) -> bytes:
    """A power curve as stored: float32 little-endian watts (NaN where there is none)."""
    return np.asarray(watts, dtype="<f4").tobytes()


def unpack_curve(data: bytes) -> FloatArray:
    """A stored power curve as float64 watts."""
    if len(data) % 4:
        raise RuleError(f"expected a stored curve of whole float32 values, got {len(data)} bytes")
    return np.frombuffer(data, dtype="<f4").astype(np.float64)


def stored_watts(data: bytes) -> npt.NDArray[np.float32]:
    """A stored power curve's watts as they are (float32, read-only, no copy): for combining
    thousands of curves, where unpack_curve's float64 copy of each costs more than the rest."""
    if len(data) % 4:
        raise RuleError(f"expected a stored curve of whole float32 values, got {len(data)} bytes")
    return np.frombuffer(data, dtype="<f4")
