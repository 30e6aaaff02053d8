"""Queries on the health tables; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.health.models import HealthAlert, HealthMetric, HealthRideHrv


def metric_rows(
    session: Session,
    owner_id: uuid.UUID,
    *,
    start: date | None = None,
    end: date | None = None,
    metrics: Collection[str] | None = None,
) -> list[HealthMetric]:
    """The rider's metric rows, by day, metric and source, within the given bounds."""
    query = select(HealthMetric).where(HealthMetric.owner_id == owner_id)
    if start is not None:
        query = query.where(HealthMetric.day >= start)
    if end is not None:
        query = query.where(HealthMetric.day <= end)
    if metrics is not None:
        query = query.where(HealthMetric.metric.in_(list(metrics)))
    order = (HealthMetric.day, HealthMetric.metric, HealthMetric.source)
    return list(session.scalars(query.order_by(*order)))


def metric_row(
    session: Session, owner_id: uuid.UUID, day: date, metric: str, source: str
) -> HealthMetric | None:
    """The rider's row for one day, metric and source, if any."""
    return session.scalars(
        select(HealthMetric).where(
            HealthMetric.owner_id == owner_id,
            HealthMetric.day == day,
            HealthMetric.metric == metric,
            HealthMetric.source == source,
        )
    ).one_or_none()


def alert_rows(session: Session, owner_id: uuid.UUID) -> list[HealthAlert]:
    """The rider's alerts, newest first."""
    query = select(HealthAlert).where(HealthAlert.owner_id == owner_id)
    return list(session.scalars(query.order_by(HealthAlert.day.desc(), HealthAlert.metric)))


def ride_hrv_row(session: Session, ride_id: uuid.UUID) -> HealthRideHrv | None:
    """Which day and source a ride's HRV went to, if it gave one."""
    return session.get(HealthRideHrv, ride_id)


def ride_hrv_rows(
    session: Session, owner_id: uuid.UUID, day: date, source: str
) -> list[HealthRideHrv]:
    """The rider's rides that gave HRV to a day and source, most clean beats first."""
    query = select(HealthRideHrv).where(
        HealthRideHrv.owner_id == owner_id,
        HealthRideHrv.day == day,
        HealthRideHrv.source == source,
    )
    return list(session.scalars(query.order_by(HealthRideHrv.beats.desc(), HealthRideHrv.ride_id)))
