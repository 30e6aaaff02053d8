"""A generated cohort of riders' daily resting heart rate and HRV, with or without planted
illness-like changes, to measure what the alerts find and how often they fire on noise.

Each rider has their own level and day-to-day noise (autocorrelated, as real nightly values
are), a weekly pattern (weekend rides), a slow drift over the season, days without a value,
rare wild readings (a slipped strap), and perhaps a new watch part-way through the quarter
that reads a few bpm (and a little HRV) differently. A planted change raises the resting
rate by 5-8 bpm and lowers ln rMSSD by 0.25-0.45 (rMSSD by 22-36%) for 3-5 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from bikenode.health.logic.alerts import Reading

HISTORY_DAYS = 90  # before the quarter: one old watch's baseline is warm when it starts
QUARTER_DAYS = 91
FIRST_DAY = date(2025, 1, 1)
QUARTER_START = FIRST_DAY + timedelta(days=HISTORY_DAYS)


@dataclass(frozen=True)
class Planted:
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Rider:
    readings: dict[str, list[Reading]]
    planted: Planted | None
    new_watch_on: date | None


def _ar1(rng: np.random.Generator, days: int, sd: float, phi: float = 0.35) -> np.ndarray:
    noise = rng.normal(0.0, sd * np.sqrt(1 - phi**2), days)
    out = np.empty(days)
    out[0] = rng.normal(0.0, sd)
    for i in range(1, days):
        out[i] = phi * out[i - 1] + noise[i]
    return out


def make_rider(rng: np.random.Generator, *, plant: bool) -> Rider:
    days = HISTORY_DAYS + QUARTER_DAYS
    weekday = np.array([(FIRST_DAY + timedelta(days=i)).weekday() for i in range(days)])
    weekend = np.isin(weekday, (5, 6)).astype(float)  # the long rides
    drift = np.linspace(0.0, rng.uniform(-3.0, 2.0), days)
    rhr = (
        rng.normal(54.0, 7.0)
        + _ar1(rng, days, rng.uniform(1.5, 3.0))
        + rng.uniform(0.0, 1.5) * weekend
        + drift
    )
    ln_hrv = (
        rng.normal(np.log(60.0), 0.3)
        + _ar1(rng, days, rng.uniform(0.08, 0.15))
        - rng.uniform(0.0, 0.06) * weekend
        - drift / 40.0
    )
    planted = None
    if plant:
        offset = HISTORY_DAYS + int(rng.integers(0, QUARTER_DAYS - 6))
        length = int(rng.integers(3, 6))
        rhr[offset : offset + length] += rng.uniform(5.0, 8.0)
        ln_hrv[offset : offset + length] -= rng.uniform(0.25, 0.45)
        day = FIRST_DAY + timedelta(days=offset)
        planted = Planted(day, day + timedelta(days=length - 1))
    wild = rng.random(days) < 0.01
    rhr[wild] += rng.choice([-10.0, 15.0], int(wild.sum()))
    ln_hrv[wild] += rng.choice([-0.8, 0.6], int(wild.sum()))
    switch = HISTORY_DAYS + int(rng.integers(0, QUARTER_DAYS)) if rng.random() < 0.3 else None
    source = np.full(days, "old watch", dtype=object)
    if switch is not None:
        source[switch:] = "new watch"
        rhr[switch:] += rng.uniform(-3.0, 3.0)
        ln_hrv[switch:] += rng.uniform(-0.1, 0.1)
    present = rng.random(days) >= rng.uniform(0.05, 0.25)
    readings: dict[str, list[Reading]] = {"resting_hr_bpm": [], "hrv_rmssd_ms": []}
    for i in np.flatnonzero(present):
        day = FIRST_DAY + timedelta(days=int(i))
        readings["resting_hr_bpm"].append(Reading(day, float(round(rhr[i])), str(source[i])))
        readings["hrv_rmssd_ms"].append(
            Reading(day, float(round(np.exp(ln_hrv[i]), 1)), str(source[i]))
        )
    new_watch_on = FIRST_DAY + timedelta(days=switch) if switch is not None else None
    return Rider(readings, planted, new_watch_on)


def make_cohort(riders: int, *, plant: bool, seed: int) -> list[Rider]:
    rng = np.random.default_rng(seed)
    return [make_rider(rng, plant=plant) for _ in range(riders)]
