"""A rider's health data for GDPR requests: everything for an export, or erased for good."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bikenode.export_json import json_bytes
from bikenode.health import repo, sealing
from bikenode.health.models import HealthAlert, HealthMetric, HealthRideHrv


@dataclass(frozen=True)
class ErasedHealth:
    """What an erasure removed, as counts that identify no one."""

    health_metrics: int
    health_alerts: int
    health_ride_hrv: int


def iter_user_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the rider's health files: metrics.json (every daily value, opened),
    alerts.json (each alert with its explanation) and ride_hrv.json (which ride gave which
    day's HRV)."""
    metrics = [
        {
            "day": row.day.isoformat(),
            "metric": row.metric,
            "value": sealing.open_value(row.id, row.value_sealed),
            "source": row.source,
        }
        for row in repo.metric_rows(session, owner_id)
    ]
    yield "health/metrics.json", json_bytes(metrics)
    alerts = [
        {
            "day": row.day.isoformat(),
            "metric": row.metric,
            "kind": row.kind,
            "acknowledged": row.acknowledged,
            "explanation": sealing.open_explanation(row),
        }
        for row in repo.alert_rows(session, owner_id)
    ]
    yield "health/alerts.json", json_bytes(alerts)
    links = session.scalars(
        select(HealthRideHrv)
        .where(HealthRideHrv.owner_id == owner_id)
        .order_by(HealthRideHrv.day, HealthRideHrv.ride_id)
    )
    ride_hrv = [
        {
            "ride_id": str(link.ride_id),
            "day": link.day.isoformat(),
            "source": link.source,
            "clean_beat_differences": link.beats,
        }
        for link in links
    ]
    yield "health/ride_hrv.json", json_bytes(ride_hrv)


def erase_user_data(session: Session, owner_id: uuid.UUID) -> ErasedHealth:
    """Delete every health row of the rider; flushes only."""
    metrics = session.execute(delete(HealthMetric).where(HealthMetric.owner_id == owner_id))
    alerts = session.execute(delete(HealthAlert).where(HealthAlert.owner_id == owner_id))
    links = session.execute(delete(HealthRideHrv).where(HealthRideHrv.owner_id == owner_id))
    session.flush()
    return ErasedHealth(
        int(metrics.rowcount or 0),  # type: ignore[attr-defined]
        int(alerts.rowcount or 0),  # type: ignore[attr-defined]
        int(links.rowcount or 0),  # type: ignore[attr-defined]
    )
