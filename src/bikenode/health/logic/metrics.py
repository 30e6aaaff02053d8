"""The daily metrics a rider records, their units and the values each one accepts.

Subjective scores run 1 to 5, always with 5 meaning "more of the thing named": fatigue 5 is
exhausted, soreness 5 is very sore, mood 5 is very good.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "EARLIEST_DAY",
    "METRICS",
    "MetricRuleError",
    "MetricSpec",
    "check_day",
    "check_source",
    "check_value",
]

EARLIEST_DAY = date(1900, 1, 1)
# A day may be "tomorrow" in UTC for a rider east of Greenwich; two days ahead is a typo.
DAYS_AHEAD_ALLOWED = 1
MAX_SOURCE_CHARS = 80


class MetricRuleError(ValueError):
    """A metric, value, day or source that breaks the rules below; the message says which."""


@dataclass(frozen=True)
class MetricSpec:
    """What one metric measures and the range of values it accepts (both ends included)."""

    name: str
    unit: str
    low: float
    high: float
    whole: bool = False  # subjective scores are whole numbers


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        # The lowest resting rates recorded in endurance athletes are in the upper 20s.
        MetricSpec("resting_hr_bpm", "bpm", 25, 220),
        MetricSpec("hrv_rmssd_ms", "ms", 1, 500),
        MetricSpec("weight_kg", "kg", 20, 400),
        MetricSpec("sleep_h", "h", 0, 24),
        MetricSpec("fatigue_1_5", "score", 1, 5, whole=True),
        MetricSpec("soreness_1_5", "score", 1, 5, whole=True),
        MetricSpec("mood_1_5", "score", 1, 5, whole=True),
        # A day's steps; the most recorded in a day are far below 200,000.
        MetricSpec("steps", "steps", 0, 200_000, whole=True),
    )
}


def check_value(metric: str, value: float) -> float:
    """The value as stored (a float); MetricRuleError for an unknown metric or a value out of
    its range, NaN or infinite."""
    spec = METRICS.get(metric)
    if spec is None:
        raise MetricRuleError(f"expected a metric among {', '.join(METRICS)}, got {metric!r}")
    if not math.isfinite(value):
        raise MetricRuleError(f"expected a finite number for {metric}, got {value}")
    if not spec.low <= value <= spec.high:
        raise MetricRuleError(
            f"expected {metric} from {spec.low:g} to {spec.high:g} {spec.unit}, got {value:g}"
        )
    if spec.whole and value != int(value):
        raise MetricRuleError(f"expected a whole score for {metric}, got {value:g}")
    return float(value)


def check_day(day: date, *, today: date) -> date:
    """The day; MetricRuleError for a day before 1900 or after tomorrow (`today` is UTC's)."""
    latest = today + timedelta(days=DAYS_AHEAD_ALLOWED)
    if not EARLIEST_DAY <= day <= latest:
        raise MetricRuleError(
            f"expected a day from {EARLIEST_DAY} to {latest}, got {day.isoformat()}"
        )
    return day


def check_source(source: str) -> str:
    """The device or app name, trimmed; MetricRuleError if empty or longer than 80 chars."""
    trimmed = source.strip()
    if not trimmed or len(trimmed) > MAX_SOURCE_CHARS or not trimmed.isprintable():
        raise MetricRuleError(
            f"expected a source of 1 to {MAX_SOURCE_CHARS} printable characters "
            f"(a device or app name, or 'manual'), got {len(trimmed)} characters"
        )
    return trimmed
