"""What a rider reads of their fitness: daily load, power curve, CP models, a forecast, and
W' balance of a ride. Reads only; the maths is fitness/logic's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy.orm import Session

from bikenode import accounts, rides
from bikenode.db.base import utcnow
from bikenode.errors import InvalidInput
from bikenode.fitness import repo
from bikenode.fitness.curve_months import RangeCurve, range_curve
from bikenode.fitness.logic.cp_models import (
    CriticalPowerFit,
    fit_three_parameter,
    fit_two_parameter,
)
from bikenode.fitness.logic.load import (
    LoadSeed,
    TrainingLoad,
    daily_stress,
    forecast,
    training_load,
)
from bikenode.fitness.logic.w_balance import hard_efforts, w_prime_balance_differential
from bikenode.fitness.rules import RuleError, check_range, days_between, local_day
from bikenode.fitness.service import get_profile

MAX_FORECAST_DAYS = 365
W_BALANCE_MODEL_DAYS = 90  # W' balance uses the CP and W' of the 90 days up to the ride


@dataclass(frozen=True)
class LoadDay:
    """One day of the training load; `missing` says why rides of the day count no stress."""

    day: date
    stress: float
    fitness: float
    fatigue: float
    form: float
    ramp: float
    rides: int
    missing: tuple[str, ...]


@dataclass(frozen=True)
class CurveReport:
    """The best power of a range per duration, and the ride that holds each best."""

    durations_s: list[int]
    watts: list[float]
    ride_ids: list[uuid.UUID]
    rides_with_power: int


@dataclass(frozen=True)
class ModelsReport:
    curve_rides: int
    fits: list[CriticalPowerFit]


@dataclass(frozen=True)
class WBalanceReport:
    """W' balance of one ride under its rider's model; reason says why there is none."""

    ride_id: uuid.UUID
    model: str | None
    cp_w: float | None
    w_prime_j: float | None
    min_w_balance_j: float | None
    max_depletion: float | None
    hard_efforts: int | None
    reason: str | None


def load_days(session: Session, *, owner_id: uuid.UUID, start: date, end: date) -> list[LoadDay]:
    """Each day's stress, fitness, fatigue, form and ramp rate from start to end.

    The recursion runs from the rider's first ride day (or `start`, if earlier), with the
    rider's seed values as the load of the day before it, so a range never changes a day.
    """
    _check(start, end)
    rows = repo.figures_until(session, owner_id, end)
    load, origin = _load_until(session, owner_id, rows, start, end)
    first = (start - origin).days
    notes = _notes(rows, start, end)
    return [
        LoadDay(
            day,
            float(load.stress[first + i]),
            float(load.fitness[first + i]),
            float(load.fatigue[first + i]),
            float(load.form[first + i]),
            float(load.ramp_rate[first + i]),
            *notes[day],
        )
        for i, day in enumerate(days_between(start, end))
    ]


def stress_days(
    session: Session, *, owner_id: uuid.UUID, start: date, end: date
) -> list[tuple[date, float]]:
    """Each day from start to end (the rider's days) whose rides count stress, with the
    day's total (the rider's own figure for a ride where they gave one), oldest first."""
    totals: dict[date, float] = {}
    for row in repo.figures_until(session, owner_id, end, start=start):
        stress = _effective_stress(row)
        if stress is not None:
            totals[row.day] = totals.get(row.day, 0.0) + stress
    return sorted(totals.items())


def forecast_days(
    session: Session, *, owner_id: uuid.UUID, days: int, planned_stress: Sequence[float] | None
) -> list[LoadDay]:
    """The load on the `days` days after the rider's today, riding `planned_stress` each day
    (None: the mean daily stress of the last four weeks); InvalidInput for a plan that does
    not cover exactly those days."""
    if not 1 <= days <= MAX_FORECAST_DAYS:
        raise InvalidInput(f"expected from 1 to {MAX_FORECAST_DAYS} days, got {days}")
    if planned_stress is not None and len(planned_stress) != days:
        raise InvalidInput(f"expected {days} days of planned stress, got {len(planned_stress)}")
    today = _today(session, owner_id)
    rows = repo.figures_until(session, owner_id, today)
    load, _ = _load_until(session, owner_id, rows, today, today)
    try:
        ahead = forecast(load, days=days, planned_stress=planned_stress)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    return [
        LoadDay(
            ahead.start + timedelta(days=i),
            float(ahead.stress[i]),
            float(ahead.fitness[i]),
            float(ahead.fatigue[i]),
            float(ahead.form[i]),
            float(ahead.ramp_rate[i]),
            0,
            (),
        )
        for i in range(ahead.days)
    ]


def power_curve(session: Session, *, owner_id: uuid.UUID, start: date, end: date) -> CurveReport:
    """The rider's mean-maximal power over the rides of start to end (days in their zone)."""
    _check(start, end)
    curve = range_curve(session, owner_id, start, end)
    finite = np.isfinite(curve.watts)
    return CurveReport(
        durations_s=[int(d) for d in curve.durations_s[finite]],
        watts=[round(float(w), 1) for w in curve.watts[finite]],
        ride_ids=[ride_id for ride_id in curve.ride_ids if ride_id is not None],
        rides_with_power=curve.rides,
    )


def power_models(session: Session, *, owner_id: uuid.UUID, start: date, end: date) -> ModelsReport:
    """The 2- and 3-parameter CP models fitted to the range's power curve (or why not)."""
    _check(start, end)
    curve = range_curve(session, owner_id, start, end)
    return ModelsReport(curve.rides, _fits(curve))


def w_balance(
    session: Session, *, seen: rides.RidePower, viewer_id: uuid.UUID | None
) -> WBalanceReport:
    """W' balance of a ride as the viewer sees its power (fitness.access), under its rider's
    CP and W' of the 90 days up to it. Others than the rider get no CP or W' (they are
    figures of every ride, private ones included)."""
    ride_id = seen.ride_id
    if seen.power_1hz_w is None or seen.started_at is None:
        why = "the ride has no power, or its rider does not share it"
        return WBalanceReport(ride_id, None, None, None, None, None, None, why)
    profile = accounts.get_rider_profile(session, seen.owner_id)
    day = local_day(seen.started_at, profile.timezone if profile else "UTC")
    start = day - timedelta(days=W_BALANCE_MODEL_DAYS - 1)
    fit = next(
        (f for f in reversed(_fits(range_curve(session, seen.owner_id, start, day))) if f.ok), None
    )
    if fit is None or fit.cp_w is None or fit.w_prime_j is None:
        why = f"no CP model could be fitted to the {W_BALANCE_MODEL_DAYS} days up to the ride"
        return WBalanceReport(ride_id, None, None, None, None, None, None, why)
    balance = w_prime_balance_differential(seen.power_1hz_w, cp_w=fit.cp_w, w_prime_j=fit.w_prime_j)
    efforts = hard_efforts(balance, w_prime_j=fit.w_prime_j)
    own = viewer_id == seen.owner_id
    return WBalanceReport(
        ride_id,
        fit.model,
        fit.cp_w if own else None,
        fit.w_prime_j if own else None,
        round(efforts.min_balance_j, 1),
        round(efforts.max_depletion, 3),
        efforts.count,
        None,
    )


def _check(start: date, end: date) -> None:
    try:
        check_range(start, end)
    except RuleError as error:
        raise InvalidInput(str(error)) from None


def _effective_stress(row: repo.StressRow) -> float | None:
    return row.stress_override if row.stress_override is not None else row.stress


def _load_until(
    session: Session, owner_id: uuid.UUID, rows: list[repo.StressRow], start: date, end: date
) -> tuple[TrainingLoad, date]:
    profile = get_profile(session, owner_id=owner_id)
    origin = min([start, *(row.day for row in rows[:1])])
    stressed = [(row.day, s) for row in rows if (s := _effective_stress(row)) is not None]
    load = training_load(
        origin,
        daily_stress(origin, end, stressed),
        fitness_days=profile.fitness_days,
        fatigue_days=profile.fatigue_days,
        seed=LoadSeed(fitness=profile.seed_fitness, fatigue=profile.seed_fatigue),
        form_same_day=profile.form_same_day,
    )
    return load, origin


def _notes(
    rows: list[repo.StressRow], start: date, end: date
) -> dict[date, tuple[int, tuple[str, ...]]]:
    counts: dict[date, int] = {}
    missing: dict[date, list[str]] = {}
    for row in rows:
        if row.day < start:
            continue
        counts[row.day] = counts.get(row.day, 0) + 1
        if _effective_stress(row) is None:
            missing.setdefault(row.day, []).append(row.stress_reason or "no stress")
    return {
        day: (counts.get(day, 0), tuple(missing.get(day, ()))) for day in days_between(start, end)
    }


def _fits(curve: RangeCurve) -> list[CriticalPowerFit]:
    finite = np.isfinite(curve.watts)
    durations, watts = curve.durations_s[finite], curve.watts[finite]
    return [fit_two_parameter(durations, watts), fit_three_parameter(durations, watts)]


def _today(session: Session, owner_id: uuid.UUID) -> date:
    profile = accounts.get_rider_profile(session, owner_id)
    return local_day(utcnow(), profile.timezone if profile else "UTC")
