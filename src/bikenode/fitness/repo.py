"""Queries on the fitness tables. Never commits: the services do."""

from __future__ import annotations

import uuid
from datetime import date
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, Row, Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bikenode.fitness.models import (
    FitnessCurveMonth,
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


class StressRow(NamedTuple):
    """What a ride adds to its day's training load."""

    day: date
    stress: float | None
    stress_override: float | None
    stress_reason: str | None


def figures_until(
    session: Session, owner_id: uuid.UUID, end: date, *, start: date | None = None
) -> list[StressRow]:
    """The stress of the rider's rides up to `end` (from `start` if given), oldest day first:
    plain rows of four columns, since a 10-year history is thousands of rides and their ORM
    rows would carry each one's power curve too."""
    figures = FitnessRideFigures
    query = select(
        figures.day, figures.stress, figures.stress_override, figures.stress_reason
    ).where(figures.owner_id == owner_id, figures.day <= end)
    if start is not None:
        query = query.where(figures.day >= start)
    rows = session.execute(query.order_by(figures.day, figures.ride_id))
    return [StressRow(*row) for row in rows]


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


def power_curves_in(
    session: Session, owner_id: uuid.UUID, spans: list[tuple[date, date]]
) -> list[tuple[uuid.UUID, date, bytes]]:
    """power_curves() of the rides on the days of several (first, last) spans at once, as
    (ride id, day, curve), oldest day first."""
    if not spans:
        return []
    rows = session.execute(
        select(FitnessRideFigures.ride_id, FitnessRideFigures.day, FitnessRideFigures.power_curve)
        .where(
            FitnessRideFigures.owner_id == owner_id,
            or_(*(FitnessRideFigures.day.between(first, last) for first, last in spans)),
            FitnessRideFigures.power_curve.is_not(None),
        )
        .order_by(FitnessRideFigures.day, FitnessRideFigures.ride_id)
    )
    return [(ride_id, day, curve) for ride_id, day, curve in rows if curve is not None]


def _curves_now(month: type[FitnessCurveMonth]) -> ColumnElement[int]:
    """How many ride curves the month holds now (a correlated count on the owner-day index)."""
    return (
        select(func.count())
        .where(
            FitnessRideFigures.owner_id == month.owner_id,
            FitnessRideFigures.day >= month.month,
            FitnessRideFigures.day <= month.last_day,
            FitnessRideFigures.power_curve.is_not(None),
        )
        .scalar_subquery()
    )


def fresh_curve_months(
    session: Session, owner_id: uuid.UUID, first: date, last: date
) -> list[Row[tuple[date, date, int, bytes, bytes, bytes]]]:
    """The rider's month curves lying within first..last whose ride count still matches
    their rides (the others are stale), oldest first."""
    month = FitnessCurveMonth
    return list(
        session.execute(
            select(
                month.month, month.last_day, month.rides, month.watts, month.ride_ids, month.sources
            )
            .where(
                month.owner_id == owner_id,
                month.month >= first,
                month.last_day <= last,
                month.rides == _curves_now(month),
            )
            .order_by(month.month)
        )
    )


def stale_curve_months(session: Session, owner_id: uuid.UUID) -> list[date]:
    """The first days of the rider's month curves whose ride count no longer matches."""
    month = FitnessCurveMonth
    rows = session.execute(
        select(month.month).where(month.owner_id == owner_id, month.rides != _curves_now(month))
    )
    return list(rows.scalars())


def put_curve_month(session: Session, row: FitnessCurveMonth) -> None:
    """Insert or replace the rider's curve of one month (an upsert: two writers of the same
    month must not fail on its key)."""
    values = {
        "owner_id": row.owner_id,
        "month": row.month,
        "last_day": row.last_day,
        "rides": row.rides,
        "watts": row.watts,
        "ride_ids": row.ride_ids,
        "sources": row.sources,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(FitnessCurveMonth).values(**values)
    changed = {key: insert.excluded[key] for key in values if key not in ("owner_id", "month")}
    session.execute(
        insert.on_conflict_do_update(index_elements=["owner_id", "month"], set_=changed)
    )


def delete_curve_month(session: Session, owner_id: uuid.UUID, month: date) -> None:
    session.execute(
        delete(FitnessCurveMonth).where(
            and_(FitnessCurveMonth.owner_id == owner_id, FitnessCurveMonth.month == month)
        )
    )


def figure_days(session: Session, ride_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, date]]:
    """(owner id, day) of each of these rides' stored figures."""
    if not ride_ids:
        return []
    rows = session.execute(
        select(FitnessRideFigures.owner_id, FitnessRideFigures.day).where(
            FitnessRideFigures.ride_id.in_(ride_ids)
        )
    )
    return [(owner_id, day) for owner_id, day in rows]


def figures_of(session: Session, ride_ids: list[uuid.UUID]) -> list[FitnessRideFigures]:
    """The stored figures of these rides (those that have some)."""
    if not ride_ids:
        return []
    return list(
        session.scalars(select(FitnessRideFigures).where(FitnessRideFigures.ride_id.in_(ride_ids)))
    )


class StoredInputs(NamedTuple):
    """What a ride's stress is recomputed from without its streams, and its stored day."""

    ride_id: uuid.UUID
    day: date
    duration_s: float
    power_recorded_s: int | None
    weighted_power_w: float | None
    avg_hr_bpm: float | None
    has_curve: bool


def stored_inputs(session: Session, ride_ids: list[uuid.UUID]) -> list[StoredInputs]:
    """The stored stress inputs of these rides (those with figures): plain rows without the
    power curve, since a threshold change recomputes thousands of rides and needs no curve."""
    if not ride_ids:
        return []
    figures = FitnessRideFigures
    rows = session.execute(
        select(
            figures.ride_id,
            figures.day,
            figures.duration_s,
            figures.power_recorded_s,
            figures.weighted_power_w,
            figures.avg_hr_bpm,
            figures.power_curve.is_not(None),
        ).where(figures.ride_id.in_(ride_ids))
    )
    return [StoredInputs(*row) for row in rows]


def update_stress(session: Session, values: list[dict[str, object]]) -> None:
    """Write the given columns of several rides' figures (each dict holds its ride_id and the
    same columns) in one executemany."""
    if not values:
        return
    # A Core UPDATE as one executemany: the ORM's bulk update by primary key costs about
    # three times as much per row in Python, which is most of a 5,000-ride recompute.
    table = cast(Table, FitnessRideFigures.__table__)
    columns = [key for key in values[0] if key != "ride_id"]
    statement = (
        update(table)
        .where(table.c.ride_id == bindparam("key_ride_id"))
        .values({key: bindparam(key) for key in columns})
    )
    session.execute(
        statement,
        [{"key_ride_id": row["ride_id"], **{k: row[k] for k in columns}} for row in values],
    )


def delete_figures_of(session: Session, ride_ids: list[uuid.UUID]) -> None:
    if ride_ids:
        session.execute(delete(FitnessRideFigures).where(FitnessRideFigures.ride_id.in_(ride_ids)))


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
