"""Tables owned by the health domain: daily metrics (values sealed) and alert episodes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class HealthMetric(Base):
    """One day's value of one metric from one source, sealed with the data key ring.

    The day, metric and source stay in clear (they say that a value exists, not what it is):
    they are what queries and the unique rule need.
    """

    __tablename__ = "health_metrics"
    __table_args__ = (
        Index(
            "ix_health_metrics_owner_day_metric_source",
            "owner_id",
            "day",
            "metric",
            "source",
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    day: Mapped[date]
    metric: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(80))  # a device or app name, or "manual"
    value_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # health/sealing.py
    key_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HealthAlert(Base):
    """An episode of a metric out of the rider's usual range, from `day`; its explanation
    (values, baseline, range, what else changed) is sealed like the values it quotes."""

    __tablename__ = "health_alerts"
    __table_args__ = (
        Index(
            "ix_health_alerts_owner_day_metric_kind",
            "owner_id",
            "day",
            "metric",
            "kind",
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]
    day: Mapped[date]
    metric: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(32))
    explanation_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(40))
    acknowledged: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HealthRideHrv(Base):
    """Which ride gave which day's HRV: a ride with beat-to-beat intervals, the day and source
    its rMSSD is stored under, and how many clean beat differences it had. A day's value is
    that of the ride with the most; deleting that ride hands the day to the next, or clears
    it. The value itself lives sealed in health_metrics only."""

    __tablename__ = "health_ride_hrv"
    __table_args__ = (Index("ix_health_ride_hrv_owner_day", "owner_id", "day"),)

    ride_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # rides' id; no foreign key
    owner_id: Mapped[uuid.UUID]
    day: Mapped[date]
    source: Mapped[str] = mapped_column(String(80))
    beats: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
