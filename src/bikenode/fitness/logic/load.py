"""Training load: fitness, fatigue, form and ramp rate from daily training stress.

The recursion is GoldenCheetah's (src/Metrics/PMCData.cpp), day by day:

    x[d] = x[d-1] * e^(-1/N) + stress[d] * (1 - e^(-1/N))

with N = 42 days for fitness (long-term stress) and 7 for fatigue (short-term stress), both
per rider. Days without a ride have stress 0. The state before the first day is a LoadSeed
(0 for a new rider); GoldenCheetah's season seed is the same thing one day earlier.

Form is fitness minus fatigue. GoldenCheetah shows it on the next day by default (form on a
morning reflects the training up to the evening before): form[d] = fitness[d-1] - fatigue[d-1].
`form_same_day=True` gives form[d] = fitness[d] - fatigue[d] instead.

Ramp rate is GoldenCheetah's: the change in fitness over the last `fatigue_days` days
(ramp[d] = fitness[d] - fitness[d-N_fatigue]); before enough days are known the window starts
at the earliest known value, as GoldenCheetah's does from its first day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from bikenode.fitness.logic.arrays import FloatArray

__all__ = [
    "FATIGUE_DAYS",
    "FITNESS_DAYS",
    "FORECAST_BASELINE_DAYS",
    "LoadSeed",
    "TrainingLoad",
    "daily_stress",
    "forecast",
    "training_load",
]

FITNESS_DAYS = 42
FATIGUE_DAYS = 7
# "Keep training as in the last four weeks" when a forecast has no planned stress.
FORECAST_BASELINE_DAYS = 28


@dataclass(frozen=True)
class LoadSeed:
    """Fitness and fatigue at the end of the day before a range starts.

    `earlier_fitness` holds fitness on the days before that (oldest first) so that the ramp
    rate of a continued range equals that of one computed in a single pass.
    """

    fitness: float = 0.0
    fatigue: float = 0.0
    earlier_fitness: tuple[float, ...] = ()


@dataclass(frozen=True)
class TrainingLoad:
    """Daily stress, fitness, fatigue, form and ramp rate from `start`, one value a day."""

    start: date
    stress: FloatArray
    fitness: FloatArray
    fatigue: FloatArray
    form: FloatArray
    ramp_rate: FloatArray
    fitness_days: int = FITNESS_DAYS
    fatigue_days: int = FATIGUE_DAYS
    form_same_day: bool = False
    seed: LoadSeed = field(default_factory=LoadSeed)

    @property
    def days(self) -> int:
        """How many days the range covers."""
        return int(self.stress.size)

    @property
    def end(self) -> date:
        """The last day of the range (the day before `start` when it is empty)."""
        return self.start + timedelta(days=self.days - 1)

    def next_seed(self) -> LoadSeed:
        """The seed that continues this range on the day after its end."""
        known = _known_fitness(self.seed, self.fitness)
        return LoadSeed(
            fitness=float(known[-1]),
            fatigue=float(self.fatigue[-1]) if self.days else self.seed.fatigue,
            earlier_fitness=tuple(float(x) for x in known[-(self.fatigue_days + 1) : -1]),
        )


def training_load(
    start: date,
    stress: npt.ArrayLike,
    *,
    fitness_days: int = FITNESS_DAYS,
    fatigue_days: int = FATIGUE_DAYS,
    seed: LoadSeed | None = None,
    form_same_day: bool = False,
) -> TrainingLoad:
    """Fitness, fatigue, form and ramp rate for each day of `stress` (one value a day).

    Raises ValueError for time constants under one day or stress that is negative or not finite.
    """
    seed = seed or LoadSeed()
    daily = _checked_stress(stress)
    if fitness_days < 1 or fatigue_days < 1:
        raise ValueError(
            f"expected time constants of at least 1 day, got {fitness_days} and {fatigue_days}"
        )
    fitness = _decay(daily, fitness_days, seed.fitness)
    fatigue = _decay(daily, fatigue_days, seed.fatigue)
    balance = fitness - fatigue
    if form_same_day:
        form = balance
    else:
        form = np.concatenate(([seed.fitness - seed.fatigue], balance[:-1]))[: daily.size]
    known = _known_fitness(seed, fitness)
    today = np.arange(daily.size) + (known.size - daily.size)
    ramp = known[today] - known[np.maximum(today - fatigue_days, 0)]
    return TrainingLoad(
        start, daily, fitness, fatigue, form, ramp, fitness_days, fatigue_days, form_same_day, seed
    )


def forecast(
    load: TrainingLoad, *, days: int, planned_stress: npt.ArrayLike | None = None
) -> TrainingLoad:
    """The load on the `days` days after `load` ends, riding `planned_stress` on each.

    Without a plan every day gets the mean daily stress of the last FORECAST_BASELINE_DAYS
    days of `load` ("keep training as in the last four weeks").
    """
    if days < 0:
        raise ValueError(f"expected a forecast of 0 days or more, got {days}")
    if planned_stress is None:
        recent = load.stress[-FORECAST_BASELINE_DAYS:]
        baseline = float(recent.mean()) if recent.size else 0.0
        plan = np.full(days, baseline)
    else:
        plan = _checked_stress(planned_stress)
        if plan.size != days:
            raise ValueError(f"expected {days} days of planned stress, got {plan.size}")
    return training_load(
        load.end + timedelta(days=1),
        plan,
        fitness_days=load.fitness_days,
        fatigue_days=load.fatigue_days,
        seed=load.next_seed(),
        form_same_day=load.form_same_day,
    )


def daily_stress(start: date, end: date, rides: Iterable[tuple[date, float]]) -> FloatArray:
    """Stress per day from `start` to `end` inclusive: the sum of the rides of each day.

    Rides outside the range are left out; days without a ride are 0.
    """
    days = (end - start).days + 1
    if days < 0:
        raise ValueError(f"expected an end on or after the start, got {start} to {end}")
    totals = np.zeros(days)
    pairs = [((day - start).days, value) for day, value in rides]
    offsets = np.array([offset for offset, _ in pairs], dtype=np.int64)
    values = np.array([value for _, value in pairs], dtype=np.float64)
    inside = (offsets >= 0) & (offsets < days)
    np.add.at(totals, offsets[inside], values[inside])
    return totals


def _checked_stress(stress: npt.ArrayLike) -> FloatArray:
    daily = np.asarray(stress, dtype=np.float64)
    if daily.ndim != 1:
        raise ValueError(f"expected one stress value a day, got shape {daily.shape}")
    if not np.all(np.isfinite(daily)) or np.any(daily < 0):
        raise ValueError("expected finite, non-negative daily stress")
    return daily


def _decay(daily: FloatArray, time_constant_days: int, before: float) -> FloatArray:
    """x[d] = a*x[d-1] + (1-a)*stress[d] with a = e^(-1/N), x[-1] = before, as one IIR filter."""
    keep = math.exp(-1.0 / time_constant_days)
    if daily.size == 0:
        return np.zeros(0)
    out, _ = lfilter([1.0 - keep], [1.0, -keep], daily, zi=[keep * before])
    return np.asarray(out, dtype=np.float64)


def _known_fitness(seed: LoadSeed, fitness: FloatArray) -> FloatArray:
    """Fitness on every known day: the seed's earlier days, the seed day, then the range."""
    return np.concatenate(
        (np.asarray(seed.earlier_fitness, dtype=np.float64), [seed.fitness], fitness)
    )
