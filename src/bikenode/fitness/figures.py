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
from bikenode.fitness.logic.stress import RideStress, ride_stress
from bikenode.fitness.models import FitnessRideFigures
from bikenode.fitness.rules import DatedValue, in_force, local_day, pack_curve, rider_zone

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


def _figures(ride: ComputedFigures, settings: RiderSettings) -> ComputedFigures:
    """The ride's figures with its stress under the thresholds in force on its day."""
    stress = _stress(
        in_force(settings.thresholds, ride.day),
        duration_s=ride.duration_s,
        power_recorded_s=ride.power_recorded_s,
        weighted_power_w=ride.weighted_power_w,
        avg_hr_bpm=ride.avg_hr_bpm,
    )
    return replace(
        ride,
        stress=stress.stress,
        stress_source=stress.method or "none",
        stress_reason=stress.reason or None,
    )


def _stress(
    thresholds: dict[str, float],
    *,
    duration_s: float,
    power_recorded_s: int,
    weighted_power_w: float | None,
    avg_hr_bpm: float | None,
) -> RideStress:
    """A ride's stress under these thresholds: by power over the seconds that recorded power
    when FTP is known, else by heart rate over the whole ride."""
    by_power = weighted_power_w is not None and "ftp_w" in thresholds
    return ride_stress(
        duration_s=float(power_recorded_s) if by_power else duration_s,
        normalized_power_w=weighted_power_w,
        ftp_w=thresholds.get("ftp_w"),
        avg_hr_bpm=avg_hr_bpm,
        rest_hr_bpm=thresholds.get("resting_hr_bpm"),
        max_hr_bpm=thresholds.get("max_hr_bpm"),
        threshold_hr_bpm=thresholds.get("threshold_hr_bpm"),
    )


@dataclass(frozen=True)
class Restressed:
    """A ride's new day and stress from its stored figures, and the day they had."""

    ride_id: uuid.UUID
    day: date
    old_day: date
    has_curve: bool
    stress: RideStress


def restress(
    session: Session, *, starts: dict[uuid.UUID, datetime], settings: RiderSettings
) -> tuple[list[Restressed], list[uuid.UUID]]:
    """The new day and stress of these rides from their stored figures, and the rides that
    need their streams (no figures, or figures from before the stream figures were kept).
    A threshold or time zone changes no curve nor stream figure, so only the stress inputs
    are read (one query, no curve) and day and stress recomputed as compute() does. Reads only."""
    found = {row.ride_id: row for row in repo.stored_inputs(session, list(starts))}
    zone = rider_zone(settings.timezone)
    in_force_on: dict[date, dict[str, float]] = {}
    done: list[Restressed] = []
    for ride_id, started_at in starts.items():
        row = found.get(ride_id)
        if row is None or row.power_recorded_s is None:
            continue
        day = started_at.astimezone(zone).date()
        if day not in in_force_on:  # a rider's rides share a few thousand days at most
            in_force_on[day] = in_force(settings.thresholds, day)
        stress = _stress(
            in_force_on[day],
            duration_s=row.duration_s,
            power_recorded_s=row.power_recorded_s,
            weighted_power_w=row.weighted_power_w,
            avg_hr_bpm=row.avg_hr_bpm,
        )
        done.append(Restressed(ride_id, day, row.day, row.has_curve, stress))
    kept = {ride.ride_id for ride in done}
    return done, [ride_id for ride_id in starts if ride_id not in kept]


def store_stress(session: Session, owner_id: uuid.UUID, rides_now: list[Restressed]) -> None:
    """Save restress() figures with one executemany per shape and rebuild only the month
    curves of rides whose day moved (a threshold changes no curve; a new time zone may move
    a day). The day is written only where it moved, so its index is left alone elsewhere."""
    computed_at = utcnow()
    same_day: list[dict[str, object]] = []
    moved: list[dict[str, object]] = []
    for ride in rides_now:
        values: dict[str, object] = {
            "ride_id": ride.ride_id,
            "stress": ride.stress.stress,
            "stress_source": ride.stress.method or "none",
            "stress_reason": ride.stress.reason or None,
            "computed_at": computed_at,
        }
        if ride.day == ride.old_day:
            same_day.append(values)
        else:
            moved.append({**values, "day": ride.day})
    repo.update_stress(session, same_day)
    repo.update_stress(session, moved)
    touched = {
        (owner_id, day)
        for ride in rides_now
        if ride.has_curve and ride.day != ride.old_day
        for day in (ride.day, ride.old_day)
    }
    if touched:
        curve_months.rebuild(session, touched)


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
