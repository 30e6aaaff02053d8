"""Readiness for a day: a named state and the factors behind it, never one opaque score.

States, from the factors that have a value on the day:

- "rest advised": a resting heart rate or HRV alert covers the day, or both resting heart
  rate and HRV are out of their usual range;
- "take it easy": any one factor is out of range: resting heart rate at least 4 bpm above
  its baseline, HRV's 7-day mean below its normal range or the day's HRV well below its
  baseline (alerts.py), under 6 h of sleep, fatigue or soreness 4-5 out of 5, mood 1-2;
- "ready": every factor with a value is in range;
- "not enough data": no factor can be judged (nothing entered for the day, or only values of
  sources still in their warm-up).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bikenode.health.logic.alerts import (
    HIGH_SCORE,
    HRV,
    LITTLE_SLEEP_H,
    RHR,
    WARMUP_DAYS,
    Alert,
    Reading,
    SourceFlags,
    source_flags,
)

__all__ = [
    "NOT_ENOUGH_DATA",
    "READY",
    "REST_ADVISED",
    "TAKE_IT_EASY",
    "Factor",
    "Readiness",
    "readiness",
]

READY, TAKE_IT_EASY, REST_ADVISED, NOT_ENOUGH_DATA = (
    "ready",
    "take it easy",
    "rest advised",
    "not enough data",
)
USUAL, HIGH, LOW, ALERT, WARMING_UP = "usual", "high", "low", "alert", "warming up"
JUDGED = {USUAL, HIGH, LOW, ALERT}
LOW_MOOD = 2


@dataclass(frozen=True)
class Factor:
    """One metric's part in the day's readiness, with the numbers behind it."""

    metric: str
    status: str  # usual, high, low, alert, warming up
    value: float | None
    baseline: float | None = None
    usual_low: float | None = None
    usual_high: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Readiness:
    """The day's state and every factor considered."""

    day: date
    state: str
    factors: tuple[Factor, ...]


def readiness(
    day: date, metrics: Mapping[str, Sequence[Reading]], alerts: Sequence[Alert]
) -> Readiness:
    """The rider's readiness on `day` from their readings and alert episodes (module doc)."""
    factors = [
        factor
        for metric in (RHR, HRV)
        if (factor := _physiological(day, metric, metrics.get(metric, ()), alerts)) is not None
    ]
    factors += _subjective(day, metrics)
    return Readiness(day, _state(factors), tuple(factors))


def _state(factors: Sequence[Factor]) -> str:
    judged = [f for f in factors if f.status in JUDGED]
    if not judged:
        return NOT_ENOUGH_DATA
    physiological_off = [f for f in judged if f.metric in (RHR, HRV) and f.status != USUAL]
    if any(f.status == ALERT for f in judged) or len(physiological_off) >= 2:
        return REST_ADVISED
    return TAKE_IT_EASY if any(f.status != USUAL for f in judged) else READY


def _physiological(
    day: date, metric: str, readings: Sequence[Reading], alerts: Sequence[Alert]
) -> Factor | None:
    today = [r for r in readings if r.day == day]
    if not today:
        return None
    flags = source_flags(metric, readings)
    # The source with a baseline on the day, if any (the first by name); else the first.
    judged = [(r, flags[r.source]) for r in sorted(today, key=lambda r: r.source)]
    reading, flag = next(((r, f) for r, f in judged if _warm(f, day)), judged[0])
    at = (day - flag.start).days
    if not _warm(flag, day):
        seen = int(sum(1 for r in readings if r.source == reading.source and r.day < day))
        note = f"{reading.source} has {seen} of the {WARMUP_DAYS} days a baseline needs"
        return Factor(metric, WARMING_UP, reading.value, note=note)
    numbers = {
        "baseline": round(float(flag.baseline[at]), 1),
        "usual_low": round(float(flag.usual_low[at]), 1),
        "usual_high": round(float(flag.usual_high[at]), 1),
    }
    status, note = _physiological_status(day, metric, flag, at, alerts)
    return Factor(metric, status, reading.value, note=note, **numbers)


def _physiological_status(
    day: date, metric: str, flag: SourceFlags, at: int, alerts: Sequence[Alert]
) -> tuple[str, str]:
    for alert in alerts:
        if alert.metric == metric and alert.day <= day <= alert.explanation.last_day:
            return ALERT, alert.explanation.message
    if metric == RHR:
        if flag.out[at]:
            return HIGH, f"at least 4 bpm above the usual {flag.baseline[at]:.0f} bpm"
        return USUAL, ""
    if flag.out[at]:
        return LOW, f"well below the usual {flag.baseline[at]:.0f} ms"
    if flag.trend_out[at]:
        return LOW, "the 7-day average is below the normal range"
    return USUAL, ""


def _warm(flag: SourceFlags, day: date) -> bool:
    at = (day - flag.start).days
    return 0 <= at < flag.baseline.size and math.isfinite(flag.baseline[at])


def _subjective(day: date, metrics: Mapping[str, Sequence[Reading]]) -> list[Factor]:
    factors = []
    for metric in ("sleep_h", "fatigue_1_5", "soreness_1_5", "mood_1_5"):
        values = [r.value for r in metrics.get(metric, ()) if r.day == day]
        if not values:
            continue
        value = min(values) if metric in ("sleep_h", "mood_1_5") else max(values)
        factors.append(Factor(metric, *_score_status(metric, value)))
    return factors


def _score_status(metric: str, value: float) -> tuple[str, float, None, None, None, str]:
    if metric == "sleep_h" and value < LITTLE_SLEEP_H:
        return LOW, value, None, None, None, f"under {LITTLE_SLEEP_H:g} h of sleep"
    if metric == "mood_1_5" and value <= LOW_MOOD:
        return LOW, value, None, None, None, "low mood"
    if metric in ("fatigue_1_5", "soreness_1_5") and value >= HIGH_SCORE:
        return HIGH, value, None, None, None, f"{metric.removesuffix('_1_5')} {value:g} of 5"
    return USUAL, value, None, None, None, ""
