"""Alerts on resting heart rate and HRV, each with an explanation a rider can follow.

**Resting heart rate** follows Stanford's NightSignal (Alavi et al., 2022, "Real-time alerting
system for COVID-19 and other stress events using wearable data", Nat. Med. 28:175; the
published code is github.com/StanfordBioinformatics/wearable-infection, nightsignal.py): a
night is *elevated* when its resting rate is at least 4 bpm above the rider's running median,
and two consecutive elevated nights raise the alert (their "red" state); each further
elevated night keeps it going. Where we differ, and why:

- the median is over the 60 nights before the night (NightSignal: every night so far, the
  night itself included), so a season of training that lowers the resting rate moves the
  baseline along, and tonight's value never pulls its own baseline up;
- each source (device or app) has its own baseline and a warm-up of 14 nights
  (baselines.py); NightSignal ran one device per person;
- the rise is 4 bpm or 1.5 robust SDs of the source's nights (1.4826 * MAD), whichever is
  more: on a rider whose nights scatter widely, 4 bpm is ordinary;
- a single night without a value takes the mean of the nights either side, as NightSignal
  imputes it, so a gap does not break a run (an alert day is always a day with a value);
- NightSignal's "yellow" state (+3 bpm) is not an alert here.

**HRV** follows HRV4Training's normal range (Altini, "The importance of normal values",
hrv4training.com, 2022; Plews et al., 2013, Int. J. Sports Physiol. Perform. 8:688): the
7-day rolling mean of ln(rMSSD) against a 60-day baseline, with the normal range the
baseline +/- 0.5 standard deviations (the smallest worthwhile change). Our baseline is the
robust one of baselines.py (median and 1.4826 * MAD of ln rMSSD, same source, 60 days, 14
values of warm-up). A 7-day mean below the normal range alone is a trend, shown in readiness;
it moves too slowly, and falls below the range too often on noise alone (the mean of 7 days
varies by about 0.38 of a daily SD), to alert on by itself. The alert needs it *and* two
consecutive days each below baseline - 1.75 SD (an acute drop, the HRV twin of the two
elevated nights), so a drop that lasts is caught on its second day.

An alert is one *episode*: its `day` is the first day the rule held, and it grows while the
days that follow keep the rule. Everything is recomputed from the readings, so entering the
same values again gives the same alerts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from bikenode.health.logic.baselines import FloatArray, daily_values, rolling_baseline, rolling_mean

__all__ = [
    "HRV_ACUTE_SD",
    "RHR_RISE_BPM",
    "WARMUP_DAYS",
    "Alert",
    "Explanation",
    "Reading",
    "SourceFlags",
    "find_alerts",
    "hrv_flags",
    "resting_hr_flags",
]

WARMUP_DAYS = 14
WINDOW_DAYS = 60
RHR_RISE_BPM = 4.0
# The rise must also be 1.5 robust SDs of the rider's own nights where that is more than 4
# bpm: for a rider whose nights scatter by 3 bpm, 4 bpm is ordinary (tests/unit/health's
# cohort: false alert-days halve, recall drops by 2 points).
RHR_SPREAD_FACTOR = 1.5
CONSECUTIVE_DAYS = 2
HRV_WEEK_DAYS = 7
HRV_WEEK_MIN_DAYS = 4
HRV_SWC_SD = 0.5
HRV_ACUTE_SD = 1.75
# A very steady rider's MAD can be near 0; below about 5% of rMSSD a change is within what a
# measurement repeats to (HRV4Training's own coefficient of variation is rarely under 5%).
HRV_MIN_SPREAD_LN = 0.05
LITTLE_SLEEP_H = 6.0  # below the 7-9 h recommended for adults (Hirshkowitz et al., 2015)
HIGH_SCORE = 4
# Gabbett (2016, Br. J. Sports Med. 50:273): an acute:chronic load ratio above 1.5 is a spike.
LOAD_SPIKE_RATIO = 1.5
ACUTE_LOAD_DAYS = 7
CHRONIC_LOAD_DAYS = 28

RHR = "resting_hr_bpm"
HRV = "hrv_rmssd_ms"
KINDS = {RHR: "resting_hr_elevated", HRV: "hrv_low"}


@dataclass(frozen=True)
class Reading:
    """One day's value of a metric from one source."""

    day: date
    value: float
    source: str


@dataclass(frozen=True)
class SourceFlags:
    """One source's days from `start`: the values, its baseline and usual range (in the
    metric's units; NaN in the warm-up), the days out of range and the alert days."""

    start: date
    values: FloatArray
    baseline: FloatArray
    usual_low: FloatArray
    usual_high: FloatArray
    threshold: FloatArray
    out: npt.NDArray[np.bool_]
    alert: npt.NDArray[np.bool_]
    trend_out: npt.NDArray[np.bool_]  # HRV: the 7-day mean below the normal range


@dataclass(frozen=True)
class Explanation:
    """Why an alert was raised, in the metric's units (HRV in ms)."""

    metric: str
    source: str
    first_day: date  # the first day out of range
    last_day: date
    days: int
    values: tuple[float, ...]
    baseline: float
    usual_low: float
    usual_high: float
    threshold: float
    also: tuple[str, ...] = field(default=())
    message: str = ""


@dataclass(frozen=True)
class Alert:
    """An episode of a metric out of the rider's usual range, from `day` (the first alert day)."""

    day: date
    metric: str
    kind: str
    explanation: Explanation


def fill_single_gaps(values: FloatArray) -> FloatArray:
    """The values with each lone missing day set to the mean of the days either side, as
    NightSignal imputes them: a night without a reading does not break a run."""
    filled = values.copy()
    if values.size >= 3:
        lone = np.isnan(values[1:-1]) & np.isfinite(values[:-2]) & np.isfinite(values[2:])
        filled[1:-1][lone] = (values[:-2][lone] + values[2:][lone]) / 2.0
    return filled


def _consecutive(out: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    alert = out.copy()
    for lag in range(1, CONSECUTIVE_DAYS):
        alert[lag:] &= out[:-lag]
        alert[:lag] = False
    return alert


def resting_hr_flags(values: FloatArray, start: date) -> SourceFlags:
    """Elevated nights (>= median + max(4 bpm, 1.5 SD)) and alert days (2 in a row) of one source's daily
    resting heart rate (NaN: no value)."""
    base = rolling_baseline(values, window_days=WINDOW_DAYS, min_days=WARMUP_DAYS)
    threshold = base.median + np.maximum(RHR_RISE_BPM, RHR_SPREAD_FACTOR * base.spread)
    filled, real = fill_single_gaps(values), np.isfinite(values)
    with np.errstate(invalid="ignore"):
        out = np.isfinite(threshold) & np.isfinite(filled) & (filled >= threshold)
    low, high = base.median - base.spread, base.median + base.spread
    alert = _consecutive(out) & real
    out &= real
    trend = np.zeros_like(out)
    return SourceFlags(start, values, base.median, low, high, threshold, out, alert, trend)


def hrv_flags(values_ms: FloatArray, start: date) -> SourceFlags:
    """Low days (ln rMSSD < baseline - 1.75 SD) and alert days (2 in a row while the 7-day mean
    is below the normal range) of one source's daily rMSSD in ms (NaN: no value)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ln = np.log(values_ms)
    base = rolling_baseline(ln, window_days=WINDOW_DAYS, min_days=WARMUP_DAYS)
    spread = np.maximum(base.spread, HRV_MIN_SPREAD_LN)
    week = rolling_mean(ln, window_days=HRV_WEEK_DAYS, min_days=HRV_WEEK_MIN_DAYS)
    acute = base.median - HRV_ACUTE_SD * spread
    filled, real = fill_single_gaps(ln), np.isfinite(ln)
    with np.errstate(invalid="ignore"):
        out = np.isfinite(acute) & np.isfinite(filled) & (filled < acute)
        below_normal = np.isfinite(week) & (week < base.median - HRV_SWC_SD * spread)
    low = np.exp(base.median - HRV_SWC_SD * spread)
    high = np.exp(base.median + HRV_SWC_SD * spread)
    alert = _consecutive(out) & below_normal & real
    out &= real
    return SourceFlags(
        start, values_ms, np.exp(base.median), low, high, np.exp(acute), out, alert, below_normal
    )


FLAGS = {RHR: resting_hr_flags, HRV: hrv_flags}


def source_flags(metric: str, readings: Sequence[Reading]) -> dict[str, SourceFlags]:
    """Each source's flags for a metric (resting_hr_bpm or hrv_rmssd_ms)."""
    by_source: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_source[reading.source].append(reading)
    flags = {}
    for source, rows in sorted(by_source.items()):
        start = min(r.day for r in rows)
        days = (max(r.day for r in rows) - start).days + 1
        values = daily_values(((r.day, r.value) for r in rows), start, days)
        flags[source] = FLAGS[metric](values, start)
    return flags


def find_alerts(
    metrics: Mapping[str, Sequence[Reading]],
    *,
    stress_by_day: Mapping[date, float] | None = None,
) -> list[Alert]:
    """Every resting heart rate and HRV alert episode in a rider's readings, explained.

    `metrics` maps a metric name to its readings (other metrics add context: sleep, fatigue);
    `stress_by_day` is the daily training stress, when known, to name a load spike.
    """
    alerts = []
    for metric in (RHR, HRV):
        flags = source_flags(metric, metrics.get(metric, ()))
        for first, last, source in _episodes(flags):
            explanation = _explain(metric, flags[source], first, last, source)
            also = _also(metrics, stress_by_day, explanation.first_day, last)
            explanation = _with_context(explanation, also)
            alerts.append(Alert(first, metric, KINDS[metric], explanation))
    return sorted(alerts, key=lambda a: (a.day, a.metric))


def _episodes(flags: Mapping[str, SourceFlags]) -> list[tuple[date, date, str]]:
    """(first alert day, last alert day, source of the first day) of each run of alert days
    over all sources; a day two sources flag counts once (the first source by name)."""
    day_source: dict[date, str] = {}
    for source, flag in flags.items():
        for offset in np.flatnonzero(flag.alert):
            day_source.setdefault(flag.start + timedelta(days=int(offset)), source)
    episodes: list[tuple[date, date, str]] = []
    for day in sorted(day_source):
        if episodes and day - episodes[-1][1] == timedelta(days=1):
            episodes[-1] = (episodes[-1][0], day, episodes[-1][2])
        else:
            episodes.append((day, day, day_source[day]))
    return episodes


def _explain(metric: str, flag: SourceFlags, first: date, last: date, source: str) -> Explanation:
    at = (first - flag.start).days
    run_start = at - (CONSECUTIVE_DAYS - 1)
    end = min((last - flag.start).days, flag.values.size - 1)
    values = tuple(round(float(v), 1) for v in flag.values[run_start : end + 1] if math.isfinite(v))
    return Explanation(
        metric=metric,
        source=source,
        first_day=flag.start + timedelta(days=run_start),
        last_day=last,
        days=(last - (flag.start + timedelta(days=run_start))).days + 1,
        values=values,
        baseline=round(float(flag.baseline[at]), 1),
        usual_low=round(float(flag.usual_low[at]), 1),
        usual_high=round(float(flag.usual_high[at]), 1),
        threshold=round(float(flag.threshold[at]), 1),
    )


def _also(
    metrics: Mapping[str, Sequence[Reading]],
    stress_by_day: Mapping[date, float] | None,
    first: date,
    last: date,
) -> tuple[str, ...]:
    """What else changed on the days of an episode: little sleep, high fatigue, a load spike."""
    notes = []
    for reading in sorted(metrics.get("sleep_h", ()), key=lambda r: r.day):
        if first <= reading.day <= last and reading.value < LITTLE_SLEEP_H:
            notes.append(f"little sleep: {reading.value:g} h on {reading.day.isoformat()}")
    for metric, word in (("fatigue_1_5", "fatigue"), ("soreness_1_5", "soreness")):
        for reading in sorted(metrics.get(metric, ()), key=lambda r: r.day):
            if first <= reading.day <= last and reading.value >= HIGH_SCORE:
                notes.append(f"{word} {reading.value:g}/5 on {reading.day.isoformat()}")
    spike = load_spike(stress_by_day or {}, last)
    if spike is not None:
        notes.append(spike)
    return tuple(notes)


def load_spike(stress_by_day: Mapping[date, float], day: date) -> str | None:
    """A sentence naming a training load spike in the week up to `day` (acute:chronic ratio
    above 1.5), or None."""

    def mean(first: int, last: int) -> float:
        days = [day - timedelta(days=n) for n in range(first, last)]
        return sum(stress_by_day.get(d, 0.0) for d in days) / len(days)

    acute = mean(0, ACUTE_LOAD_DAYS)
    chronic = mean(ACUTE_LOAD_DAYS, ACUTE_LOAD_DAYS + CHRONIC_LOAD_DAYS)
    if chronic <= 0 or acute < LOAD_SPIKE_RATIO * chronic:
        return None
    return (
        f"training load spike: {acute:.0f} stress a day over the last week, against "
        f"{chronic:.0f} over the four weeks before (x{acute / chronic:.1f})"
    )


def _with_context(explanation: Explanation, also: tuple[str, ...]) -> Explanation:
    unit = "bpm" if explanation.metric == RHR else "ms"
    values = ", ".join(f"{v:g}" for v in explanation.values)
    if explanation.metric == RHR:
        what = (
            f"Resting heart rate was at least {RHR_RISE_BPM:g} bpm above the usual "
            f"{explanation.baseline:g} bpm"
        )
    else:
        what = (
            f"HRV was well below the usual {explanation.baseline:g} ms and the 7-day "
            f"average fell below the normal range"
        )
    message = (
        f"{what} for {explanation.days} days in a row from {explanation.first_day.isoformat()} "
        f"({values} {unit}; usual range {explanation.usual_low:g}-{explanation.usual_high:g} "
        f"{unit}, from {explanation.source})."
    )
    if also:
        message += " Also: " + "; ".join(also) + "."
    return Explanation(**{**explanation.__dict__, "also": also, "message": message})
