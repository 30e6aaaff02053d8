"""Tables owned by the bikes domain: bikes, components, installations, ride assignments,
the service log and reminders. Riders are named by id only (no foreign key across domains)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class Bike(Base):
    __tablename__ = "bikes_bikes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))  # road gravel mtb ebike trainer other
    brand: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    frame_size: Mapped[str | None] = mapped_column(String(20))
    weight_kg: Mapped[float | None]
    purchased_on: Mapped[date | None]
    price: Mapped[float | None]
    start_distance_m: Mapped[float] = mapped_column(default=0.0)  # a second-hand bike's odometer
    default_for_sports: Mapped[list[str]] = mapped_column(JSON, default=list)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Component(Base):
    """A part; interval_* override its type's default interval where set."""

    __tablename__ = "bikes_components"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(40))
    brand: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[float | None]
    start_distance_m: Mapped[float] = mapped_column(default=0.0)  # a used part's past
    start_moving_s: Mapped[float] = mapped_column(default=0.0)
    interval_distance_m: Mapped[float | None]
    interval_moving_s: Mapped[float | None]
    interval_days: Mapped[float | None]
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Installation(Base):
    """A component on a bike, or inside a parent component, for [installed_at, removed_at).

    Windows never overlap for one component, nor for one slot (holder, type, position):
    checked in bikes/service.py on every database.
    """

    __tablename__ = "bikes_installations"
    __table_args__ = (
        CheckConstraint("(bike_id IS NULL) <> (parent_component_id IS NULL)", name="one_holder"),
        CheckConstraint("removed_at IS NULL OR removed_at > installed_at", name="window_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    component_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bikes_components.id", ondelete="CASCADE"), index=True
    )
    bike_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bikes_bikes.id", ondelete="CASCADE"), index=True
    )
    parent_component_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bikes_components.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[str] = mapped_column(String(16), default="")  # front, rear or ""
    installed_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class RideAssignment(Base):
    """Which bike a ride was ridden on, with the ride's figures copied from rides' interface
    so that usage never reads rides' tables. bike_id None: the rider chose no bike."""

    __tablename__ = "bikes_ride_assignments"
    __table_args__ = (Index("ix_bikes_ride_assignments_bike_started", "bike_id", "started_at"),)

    ride_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    bike_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bikes_bikes.id", ondelete="CASCADE")
    )
    chosen_by_rider: Mapped[bool] = mapped_column(default=False, server_default=false())
    reason: Mapped[str] = mapped_column(Text)
    sport: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime | None]
    distance_m: Mapped[float] = mapped_column(default=0.0)
    moving_s: Mapped[float] = mapped_column(default=0.0)
    elevation_gain_m: Mapped[float] = mapped_column(default=0.0)
    # [serial, kind] of each device the ride's file named (rides.ride_devices)
    devices: Mapped[list[list[str]]] = mapped_column(JSON, default=list, server_default="[]")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ServiceEntry(Base):
    """A service (chain waxed, brake bled) or a replacement; either restarts the interval."""

    __tablename__ = "bikes_service_log"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    component_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bikes_components.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # service, replace
    done_at: Mapped[datetime]
    cost: Mapped[float | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """A threshold (warn or due) one component crossed in one interval: announced once.

    interval_start names the interval (the last service's done_at, or before any the first
    installation): the unique constraint makes a second recompute of the same crossing,
    concurrent or replayed, fail to insert rather than announce it again.
    """

    __tablename__ = "bikes_reminders"
    __table_args__ = (
        UniqueConstraint(
            "component_id", "threshold", "interval_start", name="uq_bikes_reminders_crossing"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    component_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bikes_components.id", ondelete="CASCADE"), index=True
    )
    threshold: Mapped[str] = mapped_column(String(8))  # warn, due
    fraction: Mapped[float]  # of the interval: the warn fraction, or 1
    limit: Mapped[str] = mapped_column(String(16))  # distance, moving_time, days
    interval_start: Mapped[datetime]
    crossed_at: Mapped[datetime]
    distance_m: Mapped[float]  # the interval's usage at the crossing
    moving_s: Mapped[float]
    rides: Mapped[int]
    snoozed_until: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SensorReading(Base):
    """A sensor's battery as one ride's file reported it (the first and last reading of
    each serial), copied from rides.ride_devices like the serials: kept per ride, replaced
    when the ride changes, gone with it."""

    __tablename__ = "bikes_sensor_readings"
    __table_args__ = (Index("ix_bikes_sensor_readings_owner_read_at", "owner_id", "read_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]
    ride_id: Mapped[uuid.UUID] = mapped_column(index=True)
    serial: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    read_at: Mapped[datetime]
    status: Mapped[str | None] = mapped_column(String(10))
    voltage_v: Mapped[float | None]
