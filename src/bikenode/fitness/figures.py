"""One ride's fitness figures: its day, training stress and power curve, kept in step with
the ride (events) and with the rider's thresholds (the recompute job)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from bikenode import accounts, rides
from bikenode.db.base import utcnow
from bikenode.fitness import curve_months, repo
from bikenode.fitness.logic.power_curve import mean_max_power
from bikenode.fitness.logic.stress import ride_stress
from bikenode.fitness.models import FitnessRideFigures
from bikenode.fitness.rules import DatedValue, in_force, local_day, pack_curve

# Sports whose power belongs on a cycling power curve (running power is another scale).
CYCLING_SPORTS = frozenset(
    {"cycling", "virtual_cycling", "gravel_cycling", "mountain_biking", "ebike"}
)


@dataclass(frozen=True)
class ComputedFigures:
    """A ride's figures before they are stored."""

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    day: date
    sport: str
    duration_s: float
    stress: float | None
    stress_source: str
    stress_reason: str | None
    power_curve: bytes | None
    power_recorded_s: int = 0
    weighted_power_w: float | None = None
    avg_hr_bpm: float | None = None


@dataclass(frozen=True)
class RiderSettings:
    """What a rider's ride figures depend on besides the ride: time zone and thresholds."""

    timezone: str
    thresholds: tuple[DatedValue, ...]


def rider_settings(session: Session, owner_id: uuid.UUID) -> RiderSettings:
    """The rider's time zone (UTC if unknown) and dated thresholds. Reads only."""
    profile = accounts.get_rider_profile(session, owner_id)
    timezone = profile.timezone if profile else "UTC"
    return RiderSettings(timezone, tuple(repo.thresholds(session, owner_id)))


def compute(
    session: Session, signals: rides.RideSignals, settings: RiderSettings | None = None
) -> ComputedFigures | None:
    """The ride's figures from its streams under the thresholds in force on its day; None for
    an untimed ride (it belongs to no day). Reads only (settings, if not given)."""
    if signals.started_at is None:
        return None
    if settings is None:
        settings = rider_settings(session, signals.owner_id)
    curve = None
    if signals.power_1hz_w is not None and signals.sport in CYCLING_SPORTS:
        curve = pack_curve(mean_max_power(signals.power_1hz_w).watts)
    return _figures(
        ComputedFigures(
            ride_id=signals.ride_id,
            owner_id=signals.owner_id,
            day=local_day(signals.started_at, settings.timezone),
            sport=signals.sport,
            duration_s=signals.moving_time_s or signals.elapsed_time_s or 0.0,
            stress=None,
            stress_source="none",
            stress_reason=None,
            power_curve=curve,
            power_recorded_s=signals.power_recorded_s,
            weighted_power_w=signals.weighted_power_w,
            avg_hr_bpm=signals.avg_hr_bpm,
        ),
        settings,
    )


def recompute_stored(
    row: FitnessRideFigures, *, started_at: datetime, settings: RiderSettings
) -> ComputedFigures | None:
    """The ride's figures from its stored ones under new thresholds or time zone, reading no
    streams (its power curve and stream figures do not depend on them); None if the row
    predates the stored stream figures, so the caller must go to the streams."""
    if row.power_recorded_s is None:
        return None
    kept = ComputedFigures(
        ride_id=row.ride_id,
        owner_id=row.owner_id,
        day=local_day(started_at, settings.timezone),
        sport=row.sport,
        duration_s=row.duration_s,
        stress=None,
        stress_source="none",
        stress_reason=None,
        power_curve=row.power_curve,
        power_recorded_s=row.power_recorded_s,
        weighted_power_w=row.weighted_power_w,
        avg_hr_bpm=row.avg_hr_bpm,
    )
    return _figures(kept, settings)


def _figures(ride: ComputedFigures, settings: RiderSettings) -> ComputedFigures:
    """The ride's figures with its stress under the thresholds in force on its day."""
    thresholds = in_force(settings.thresholds, ride.day)
    by_power = ride.weighted_power_w is not None and "ftp_w" in thresholds
    stress = ride_stress(
        duration_s=float(ride.power_recorded_s) if by_power else ride.duration_s,
        normalized_power_w=ride.weighted_power_w,
        ftp_w=thresholds.get("ftp_w"),
        avg_hr_bpm=ride.avg_hr_bpm,
        rest_hr_bpm=thresholds.get("resting_hr_bpm"),
        max_hr_bpm=thresholds.get("max_hr_bpm"),
        threshold_hr_bpm=thresholds.get("threshold_hr_bpm"),
    )
    return replace(
        ride,
        stress=stress.stress,
        stress_source=stress.method or "none",
        stress_reason=stress.reason or None,
    )


def store(session: Session, computed: ComputedFigures | None) -> FitnessRideFigures | None:
    """Save a ride's figures, keeping the rider's own stress figure (flushed); with None
    (an untimed ride) nothing is stored and None returned."""
    if computed is None:
        return None
    touched: set[tuple[uuid.UUID, date]] = set()
    row = _fill(session, repo.ride_figures(session, computed.ride_id), computed, touched)
    curve_months.rebuild(session, touched)
    return row


def store_many(session: Session, computed: list[ComputedFigures]) -> None:
    """store() of several rides' figures with one query and one flush."""
    rows = {row.ride_id: row for row in repo.figures_of(session, [c.ride_id for c in computed])}
    touched: set[tuple[uuid.UUID, date]] = set()
    for figures_now in computed:
        _fill(session, rows.get(figures_now.ride_id), figures_now, touched)
    curve_months.rebuild(session, touched)


def drop(session: Session, ride_ids: list[uuid.UUID]) -> None:
    """Delete these rides' figures and rebuild the month curves they were part of."""
    touched = repo.figure_days(session, ride_ids)
    repo.delete_figures_of(session, ride_ids)
    curve_months.rebuild(session, touched)


def _fill(
    session: Session,
    row: FitnessRideFigures | None,
    computed: ComputedFigures,
    touched: set[tuple[uuid.UUID, date]],
) -> FitnessRideFigures:
    """Writes the figures into the ride's row and adds to `touched` the (rider, day) of each
    month curve the write changes: the old and new day's if its curve or day moved."""
    if row is None:
        row = FitnessRideFigures(ride_id=computed.ride_id, stress_override=None)
        session.add(row)
    elif row.power_curve is not None and (
        row.power_curve != computed.power_curve or row.day != computed.day
    ):
        touched.add((row.owner_id, row.day))
    if computed.power_curve is not None and (
        row.power_curve != computed.power_curve or row.day != computed.day
    ):
        touched.add((computed.owner_id, computed.day))
    row.owner_id, row.day, row.sport = computed.owner_id, computed.day, computed.sport
    row.duration_s, row.stress = computed.duration_s, computed.stress
    row.stress_source, row.stress_reason = computed.stress_source, computed.stress_reason
    row.power_curve, row.computed_at = computed.power_curve, utcnow()
    row.power_recorded_s = computed.power_recorded_s
    row.weighted_power_w, row.avg_hr_bpm = computed.weighted_power_w, computed.avg_hr_bpm
    return row


def refresh(session: Session, *, ride_id: uuid.UUID) -> FitnessRideFigures | None:
    """Recompute and store one ride's figures, or drop them if the ride is gone or untimed."""
    signals = rides.ride_signals(session, ride_id)
    computed = compute(session, signals) if signals is not None else None
    if computed is None:
        drop(session, [ride_id])
        return None
    return store(session, computed)
