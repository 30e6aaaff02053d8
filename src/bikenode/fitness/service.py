"""Fitness use cases a rider asks for: thresholds, load settings, a ride's own stress figure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.db.base import utcnow
from bikenode.db.queue import enqueue
from bikenode.errors import InvalidInput
from bikenode.fitness import figures, repo
from bikenode.fitness.models import FitnessProfile, FitnessRecompute, FitnessRideFigures
from bikenode.fitness.rules import DatedValue, RuleError, check_thresholds, first_changed_day

RECOMPUTE_JOB = "fitness.recompute"
MAX_STRESS_OVERRIDE = 2000.0  # a day-long race scores about 600; more is a typo
TIME_CONSTANT_DAYS = (1, 400)


@dataclass(frozen=True)
class RecomputeView:
    """Where the recomputation of the rider's ride figures stands (status idle: never asked)."""

    status: str
    from_day: date | None
    total: int
    done: int
    requested_at: Any
    finished_at: Any


def list_thresholds(session: Session, *, owner_id: uuid.UUID) -> list[DatedValue]:
    """The rider's dated threshold values, by kind then date."""
    return repo.thresholds(session, owner_id)


def replace_thresholds(
    session: Session, *, owner_id: uuid.UUID, values: list[DatedValue]
) -> list[DatedValue]:
    """Make the rider's threshold history exactly `values`; InvalidInput if it is not a valid
    history. Rides from the first day whose thresholds changed are recomputed in a job."""
    try:
        check_thresholds(values)
    except RuleError as error:
        raise InvalidInput(str(error)) from None
    changed_from = first_changed_day(repo.thresholds(session, owner_id), values)
    repo.replace_thresholds(session, owner_id, sorted(values))
    if changed_from is not None:
        schedule_recompute(session, owner_id=owner_id, from_day=changed_from)
    session.commit()
    return repo.thresholds(session, owner_id)


def schedule_recompute(session: Session, *, owner_id: uuid.UUID, from_day: date) -> None:
    """Queue the recomputation of the rider's rides from `from_day` (never commits).

    A request while one is pending widens it to the earlier day; the job it supersedes stops
    at its next batch (its request is no longer the current one).
    """
    row = repo.recompute(session, owner_id, lock=True)
    if row is None:
        row = FitnessRecompute(owner_id=owner_id, from_day=from_day)
        session.add(row)
    elif row.status != "done":
        from_day = min(from_day, row.from_day)
    row.request_id = uuid.uuid4()
    row.status, row.from_day, row.total, row.done = "queued", from_day, 0, 0
    row.requested_at, row.finished_at = utcnow(), None
    session.flush()
    enqueue(session, RECOMPUTE_JOB, {"request_id": str(row.request_id)})


def recompute_status(session: Session, *, owner_id: uuid.UUID) -> RecomputeView:
    """Where the last recomputation the rider's threshold changes asked for stands."""
    row = repo.recompute(session, owner_id)
    if row is None:
        return RecomputeView("idle", None, 0, 0, None, None)
    return RecomputeView(
        row.status, row.from_day, row.total, row.done, row.requested_at, row.finished_at
    )


def get_profile(session: Session, *, owner_id: uuid.UUID) -> FitnessProfile:
    """The rider's load settings (the defaults, unsaved, if they never changed them)."""
    return repo.profile(session, owner_id) or FitnessProfile(
        owner_id=owner_id,
        fitness_days=42,
        fatigue_days=7,
        form_same_day=False,
        seed_fitness=0.0,
        seed_fatigue=0.0,
    )


def update_profile(
    session: Session, *, owner_id: uuid.UUID, changes: dict[str, Any]
) -> FitnessProfile:
    """Change the rider's time constants, same-day form or seed values; InvalidInput when
    fatigue is not shorter than fitness."""
    profile = get_profile(session, owner_id=owner_id)
    for field, value in changes.items():
        if value is None:
            raise InvalidInput(f"{field} cannot be null")
        setattr(profile, field, value)
    if profile.fatigue_days >= profile.fitness_days:
        raise InvalidInput(
            f"expected fatigue_days shorter than fitness_days, got {profile.fatigue_days}"
            f" and {profile.fitness_days}"
        )
    session.merge(profile)
    session.commit()
    return get_profile(session, owner_id=owner_id)


def ride_stress(session: Session, *, signals: rides.RideSignals) -> FitnessRideFigures:
    """The stress figures of one of the rider's rides: as stored, or (before the ride's event
    was handled) computed now without storing. An untimed ride counts on no day: InvalidInput.
    """
    row = repo.ride_figures(session, signals.ride_id)
    if row is not None:
        return row
    computed = figures.compute(session, signals)
    if computed is None:
        raise InvalidInput("expected a ride with a start time; this ride has none, so no day")
    return FitnessRideFigures(
        ride_id=computed.ride_id,
        day=computed.day,
        stress=computed.stress,
        stress_source=computed.stress_source,
        stress_reason=computed.stress_reason,
        stress_override=None,
    )


def set_stress_override(
    session: Session, *, signals: rides.RideSignals, stress: float | None
) -> FitnessRideFigures:
    """Set (or with None, clear) the rider's own stress figure for one of their rides (the
    caller checked it is theirs: fitness.access). An untimed ride counts on no day, so
    InvalidInput.
    """
    row = repo.ride_figures(session, signals.ride_id) or figures.store(
        session, figures.compute(session, signals)
    )
    if row is None:
        raise InvalidInput("expected a ride with a start time; this ride has none, so no day")
    row.stress_override = stress
    session.commit()
    return row
