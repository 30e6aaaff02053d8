"""Each day's baseline and usual range of a metric, per source, for charts.

The numbers are those the alerts and readiness use: resting heart rate and HRV through their
own rules (alerts.py: for HRV the normal range of ln rMSSD, shown in ms), every other metric
the robust baseline of baselines.py, the median +/- 1.4826 * MAD of the 60 days before, after
the same warm-up of 14 values of that source.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bikenode.health.logic.alerts import (
    FLAGS,
    WARMUP_DAYS,
    WINDOW_DAYS,
    Reading,
    source_flags,
)
from bikenode.health.logic.baselines import daily_values, rolling_baseline

__all__ = ["BaselineDay", "baseline_days"]


@dataclass(frozen=True)
class BaselineDay:
    """One source's baseline and usual range on a day, in the metric's units."""

    day: date
    source: str
    baseline: float
    usual_low: float
    usual_high: float


def baseline_days(
    metric: str, readings: Sequence[Reading], start: date, end: date
) -> list[BaselineDay]:
    """The days from start to end on which a source has a baseline (between its first and
    last reading, after its warm-up), by day then source; `readings` reach 60 days before
    start for the first days to have theirs."""
    by_source: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_source[reading.source].append(reading)
    found = []
    for source, rows in sorted(by_source.items()):
        first = min(r.day for r in rows)
        span = (max(r.day for r in rows) - first).days + 1
        if metric in FLAGS:
            flag = source_flags(metric, rows)[source]
            series = (flag.baseline, flag.usual_low, flag.usual_high)
        else:
            values = daily_values(((r.day, r.value) for r in rows), first, span)
            base = rolling_baseline(values, window_days=WINDOW_DAYS, min_days=WARMUP_DAYS)
            series = (base.median, base.median - base.spread, base.median + base.spread)
        for offset in range(span):
            day = first + timedelta(days=offset)
            numbers = [float(array[offset]) for array in series]
            if start <= day <= end and all(math.isfinite(n) for n in numbers):
                found.append(BaselineDay(day, source, *(round(n, 2) for n in numbers)))
    return sorted(found, key=lambda b: (b.day, b.source))
