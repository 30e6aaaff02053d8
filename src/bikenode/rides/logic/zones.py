"""Time spent in heart-rate and power zones.

Heart-rate zones are shares of the rider's maximum heart rate: below 60 %, 60-70 %, 70-80 %,
80-90 % and 90 % and above. Power zones are shares of the rider's functional threshold power
(the best power held for about an hour), in the classic seven-zone layout: below 55 %,
55-75 %, 75-90 %, 90-105 %, 105-120 %, 120-150 % and 150 % and above. A zone includes its
lower bound. Each sample is credited with the interval that ends at it, and intervals longer
than MAX_SAMPLE_GAP_S (the device was off or paused) are credited to no zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bikenode.rides.formats.activity import FloatArray

__all__ = [
    "HEART_RATE_ZONES",
    "MAX_SAMPLE_GAP_S",
    "POWER_ZONES",
    "ZoneTime",
    "heart_rate_zones",
    "power_zones",
    "sample_intervals_s",
    "time_in_zones",
]

MAX_SAMPLE_GAP_S = 60.0
# (name, lower bound in percent of the reference); the first zone starts at zero. Whole
# percents, so that 55 % of 200 W is exactly 110 W (0.55 * 200 is not, in floating point).
HEART_RATE_ZONES: tuple[tuple[str, int], ...] = (
    ("recovery", 0),
    ("endurance", 60),
    ("tempo", 70),
    ("threshold", 80),
    ("maximum", 90),
)
POWER_ZONES: tuple[tuple[str, int], ...] = (
    ("active recovery", 0),
    ("endurance", 55),
    ("tempo", 75),
    ("threshold", 90),
    ("aerobic capacity", 105),
    ("anaerobic capacity", 120),
    ("sprint", 150),
)


@dataclass(frozen=True)
class ZoneTime:
    """Seconds spent in one zone; bounds are in the stream's unit (bpm or W)."""

    zone: int  # 1-based, as riders number them
    name: str
    low: float
    high: float | None  # None for the open top zone
    duration_s: float


def sample_intervals_s(time_s: FloatArray, max_gap_s: float = MAX_SAMPLE_GAP_S) -> FloatArray:
    """Seconds from the previous timed sample to each sample; 0 for the first and for gaps."""
    intervals = np.zeros(time_s.shape[0])
    timed = np.flatnonzero(np.isfinite(time_s))
    steps = np.diff(time_s[timed])
    usable = (steps > 0) & (steps <= max_gap_s)
    intervals[timed[1:][usable]] = steps[usable]
    return intervals


def time_in_zones(
    values: FloatArray,
    intervals_s: FloatArray,
    reference: float,
    zones: tuple[tuple[str, int], ...],
) -> tuple[ZoneTime, ...]:
    """Seconds spent in each zone, zones given as (name, percent of reference) lower bounds."""
    lows = np.array([reference * percent / 100 for _, percent in zones])
    known = np.isfinite(values)
    index = np.searchsorted(lows[1:], values[known], side="right")
    seconds = np.bincount(index, weights=intervals_s[known], minlength=len(zones))
    highs: list[float | None] = [*lows[1:].tolist(), None]
    return tuple(
        ZoneTime(number + 1, name, float(lows[number]), highs[number], float(seconds[number]))
        for number, (name, _) in enumerate(zones)
    )


def heart_rate_zones(
    hr_bpm: FloatArray, time_s: FloatArray, max_hr_bpm: float
) -> tuple[ZoneTime, ...]:
    """Seconds in each of the five heart-rate zones for a rider with this maximum."""
    return time_in_zones(hr_bpm, sample_intervals_s(time_s), max_hr_bpm, HEART_RATE_ZONES)


def power_zones(power_w: FloatArray, time_s: FloatArray, ftp_w: float) -> tuple[ZoneTime, ...]:
    """Seconds in each of the seven power zones for a rider with this threshold power."""
    return time_in_zones(power_w, sample_intervals_s(time_s), ftp_w, POWER_ZONES)
