"""Riders' weights on given days, from their dated weight series (health_metrics'
"weight_kg"), for segments' weight classes: the latest weighing on or before each day."""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from collections.abc import Mapping, Set
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.health.models import HealthMetric
from bikenode.health.sealing import open_value

_IN_BATCH = 500  # riders per IN (...)
MAX_WEIGHINGS = 200_000  # weighings read per 500 riders: a daily weighing for over a year each


def weights_on_days(
    session: Session, wanted: Mapping[uuid.UUID, Set[date]]
) -> dict[tuple[uuid.UUID, date], float]:
    """Each rider's weight (kg) on each wanted day: the latest weighing on or before it (the
    mean of that day's sources when several weighed). Days before any weighing are absent;
    only the weighings picked are unsealed."""
    days = _weighing_days(session, wanted)
    found: dict[tuple[uuid.UUID, date], float] = {}
    for owner_id, asked in wanted.items():
        known = days.get(owner_id, [])
        on = [d for d, _rows in known]
        for day in asked:
            at = bisect.bisect_right(on, day) - 1
            if at >= 0 and (kg := _mean(known[at][1])) is not None:
                found[owner_id, day] = kg
    return found


def _weighing_days(
    session: Session, wanted: Mapping[uuid.UUID, Set[date]]
) -> dict[uuid.UUID, list[tuple[date, list[tuple[uuid.UUID, bytes]]]]]:
    """Per rider, their weighing days in order, each with its (row id, sealed value) rows,
    up to the last wanted day."""
    owners = sorted((o for o, asked in wanted.items() if asked), key=str)
    last = max((max(asked) for asked in wanted.values() if asked), default=None)
    rows: dict[uuid.UUID, dict[date, list[tuple[uuid.UUID, bytes]]]] = defaultdict(dict)
    for first in range(0, len(owners), _IN_BATCH):
        statement = (
            select(
                HealthMetric.id, HealthMetric.owner_id, HealthMetric.day, HealthMetric.value_sealed
            )
            .where(
                HealthMetric.owner_id.in_(owners[first : first + _IN_BATCH]),
                HealthMetric.metric == "weight_kg",
                HealthMetric.day <= last,
            )
            .order_by(HealthMetric.owner_id, HealthMetric.day, HealthMetric.source)
            .limit(MAX_WEIGHINGS)
        )
        for row_id, owner_id, day, sealed in session.execute(statement):
            rows[owner_id].setdefault(day, []).append((row_id, sealed))
    return {owner_id: sorted(by_day.items()) for owner_id, by_day in rows.items()}


def _mean(rows: list[tuple[uuid.UUID, bytes]]) -> float | None:
    values = [v for row_id, sealed in rows if (v := open_value(row_id, sealed)) is not None]
    return sum(values) / len(values) if values else None
