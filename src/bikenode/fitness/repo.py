"""Queries on the fitness tables. Never commits: the services do."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bikenode.fitness.models import (
    FitnessProfile,
    FitnessRecompute,
    FitnessRideFigures,
    FitnessThreshold,
)
from bikenode.fitness.rules import DatedValue


def thresholds(session: Session, owner_id: uuid.UUID) -> list[DatedValue]:
    """The rider's dated threshold values, by kind then date."""
    rows = session.execute(
        select(FitnessThreshold.kind, FitnessThreshold.valid_from, FitnessThreshold.value)
        .where(FitnessThreshold.owner_id == owner_id)
        .order_by(FitnessThreshold.kind, FitnessThreshold.valid_from)
    )
    return [DatedValue(kind, valid_from, value) for kind, valid_from, value in rows]


def replace_thresholds(session: Session, owner_id: uuid.UUID, values: list[DatedValue]) -> None:
    """Make the rider's dated values exactly `values` (flushed)."""
    session.execute(delete(FitnessThreshold).where(FitnessThreshold.owner_id == owner_id))
    session.add_all(
        FitnessThreshold(owner_id=owner_id, kind=v.kind, valid_from=v.valid_from, value=v.value)
        for v in values
    )
    session.flush()


def ride_figures(session: Session, ride_id: uuid.UUID) -> FitnessRideFigures | None:
    return session.get(FitnessRideFigures, ride_id)


def figures_until(
    session: Session, owner_id: uuid.UUID, end: date, *, start: date | None = None
) -> list[FitnessRideFigures]:
    """The rider's ride figures up to `end` (from `start` if given), oldest day first."""
    query = select(FitnessRideFigures).where(
        FitnessRideFigures.owner_id == owner_id, FitnessRideFigures.day <= end
    )
    if start is not None:
        query = query.where(FitnessRideFigures.day >= start)
    return list(session.scalars(query.order_by(FitnessRideFigures.day, FitnessRideFigures.ride_id)))


def power_curves(
    session: Session, owner_id: uuid.UUID, start: date, end: date
) -> list[tuple[uuid.UUID, bytes]]:
    """The stored power curves of the rider's rides from start to end, oldest day first, as
    (ride id, curve) pairs: plain rows, since thousands of ORM objects cost more than the query."""
    rows = session.execute(
        select(FitnessRideFigures.ride_id, FitnessRideFigures.power_curve)
        .where(
            FitnessRideFigures.owner_id == owner_id,
            FitnessRideFigures.day >= start,
            FitnessRideFigures.day <= end,
            FitnessRideFigures.power_curve.is_not(None),
        )
        .order_by(FitnessRideFigures.day, FitnessRideFigures.ride_id)
    )
    return [(ride_id, curve) for ride_id, curve in rows if curve is not None]


def figures_of(session: Session, ride_ids: list[uuid.UUID]) -> list[FitnessRideFigures]:
    """The stored figures of these rides (those that have some)."""
    if not ride_ids:
        return []
    return list(
        session.scalars(select(FitnessRideFigures).where(FitnessRideFigures.ride_id.in_(ride_ids)))
    )


def delete_figures_of(session: Session, ride_ids: list[uuid.UUID]) -> None:
    if ride_ids:
        session.execute(delete(FitnessRideFigures).where(FitnessRideFigures.ride_id.in_(ride_ids)))


def delete_ride_figures(session: Session, ride_id: uuid.UUID) -> int:
    result = session.execute(
        delete(FitnessRideFigures).where(FitnessRideFigures.ride_id == ride_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def profile(session: Session, owner_id: uuid.UUID) -> FitnessProfile | None:
    return session.get(FitnessProfile, owner_id)


def recompute(
    session: Session, owner_id: uuid.UUID, *, lock: bool = False
) -> FitnessRecompute | None:
    return session.get(FitnessRecompute, owner_id, with_for_update=lock, populate_existing=lock)


def recompute_request(
    session: Session, request_id: uuid.UUID, *, lock: bool = False
) -> FitnessRecompute | None:
    """The recompute row whose current request this is (None: superseded or erased)."""
    query = select(FitnessRecompute).where(FitnessRecompute.request_id == request_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()
