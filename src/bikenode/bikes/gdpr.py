"""A rider's garage for GDPR requests: everything for an export, or erased for good."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bikenode.bikes import repo
from bikenode.bikes.models import (
    Bike,
    Component,
    Installation,
    Reminder,
    RideAssignment,
    SensorReading,
    ServiceEntry,
)
from bikenode.export_json import fields_of, json_bytes

BIKE_FIELDS = (
    "id",
    "name",
    "type",
    "brand",
    "model",
    "frame_size",
    "weight_kg",
    "purchased_on",
    "price",
    "start_distance_m",
    "default_for_sports",
    "retired_at",
    "created_at",
    "updated_at",
)
COMPONENT_FIELDS = (
    "id",
    "type",
    "brand",
    "model",
    "notes",
    "cost",
    "start_distance_m",
    "start_moving_s",
    "interval_distance_m",
    "interval_moving_s",
    "interval_days",
    "retired_at",
    "created_at",
    "updated_at",
)
WINDOW_FIELDS = ("bike_id", "parent_component_id", "position", "installed_at", "removed_at")
ASSIGNMENT_FIELDS = ("ride_id", "reason", "chosen_by_rider", "sport", "started_at", "distance_m")
SERVICE_FIELDS = ("id", "component_id", "kind", "done_at", "cost", "notes", "created_at")
READING_FIELDS = ("serial", "kind", "ride_id", "read_at", "status", "voltage_v")
REMINDER_FIELDS = (
    "id",
    "component_id",
    "threshold",
    "fraction",
    "limit",
    "interval_start",
    "crossed_at",
    "distance_m",
    "moving_s",
    "rides",
    "snoozed_until",
    "acknowledged_at",
    "created_at",
)


def iter_user_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): bikes/bikes.json (each bike with its rides' assignments),
    bikes/components.json (each component with its installation windows) and
    bikes/service_log.json, bikes/reminders.json and bikes/sensor_readings.json (batteries)."""
    assigned: dict[uuid.UUID | None, list[dict[str, Any]]] = {}
    rows = session.scalars(
        select(RideAssignment)
        .where(RideAssignment.owner_id == owner_id)
        .order_by(RideAssignment.started_at, RideAssignment.ride_id)
    )
    for row in rows:
        assigned.setdefault(row.bike_id, []).append(fields_of(row, ASSIGNMENT_FIELDS))
    bikes = [
        {**fields_of(b, BIKE_FIELDS), "rides": assigned.get(b.id, [])}
        for b in repo.bikes_of(session, owner_id)
    ]
    yield (
        "bikes/bikes.json",
        json_bytes({"bikes": bikes, "rides_on_no_bike": assigned.get(None, [])}),
    )
    windows: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for window in repo.installations_of(session, owner_id):
        windows.setdefault(window.component_id, []).append(fields_of(window, WINDOW_FIELDS))
    components = [
        {**fields_of(c, COMPONENT_FIELDS), "installations": windows.get(c.id, [])}
        for c in repo.components_of(session, owner_id)
    ]
    yield "bikes/components.json", json_bytes(components)
    entries = session.scalars(
        select(ServiceEntry)
        .where(ServiceEntry.owner_id == owner_id)
        .order_by(ServiceEntry.done_at, ServiceEntry.id)
    )
    yield "bikes/service_log.json", json_bytes([fields_of(e, SERVICE_FIELDS) for e in entries])
    reminders = session.scalars(
        select(Reminder)
        .where(Reminder.owner_id == owner_id)
        .order_by(Reminder.crossed_at, Reminder.id)
    )
    yield "bikes/reminders.json", json_bytes([fields_of(r, REMINDER_FIELDS) for r in reminders])
    readings = session.scalars(
        select(SensorReading)
        .where(SensorReading.owner_id == owner_id)
        .order_by(SensorReading.serial, SensorReading.read_at, SensorReading.id)
    )
    yield "bikes/sensor_readings.json", json_bytes([fields_of(r, READING_FIELDS) for r in readings])
    session.rollback()  # end the read: writers are not held up (SQLite)


def erase_user_data(session: Session, owner_id: uuid.UUID) -> dict[str, float]:
    """Delete the rider's bikes, components, windows, ride assignments, service log,
    reminders and sensor battery readings;
    flushes only. Returns how many bikes and components went."""
    bikes = select(Bike.id).where(Bike.owner_id == owner_id)
    components = select(Component.id).where(Component.owner_id == owner_id)
    counts = {
        "bikes": float(session.scalar(select(func.count()).select_from(bikes.subquery())) or 0),
        "components": float(
            session.scalar(select(func.count()).select_from(components.subquery())) or 0
        ),
    }
    # Explicit deletes rather than trusting every database's cascade: nothing may stay.
    session.execute(delete(Reminder).where(Reminder.owner_id == owner_id))
    session.execute(delete(SensorReading).where(SensorReading.owner_id == owner_id))
    session.execute(delete(ServiceEntry).where(ServiceEntry.owner_id == owner_id))
    session.execute(
        delete(Installation).where(
            Installation.component_id.in_(components)
            | Installation.parent_component_id.in_(components)
            | Installation.bike_id.in_(bikes)
        )
    )
    session.execute(delete(RideAssignment).where(RideAssignment.owner_id == owner_id))
    session.execute(delete(Component).where(Component.owner_id == owner_id))
    session.execute(delete(Bike).where(Bike.owner_id == owner_id))
    session.flush()
    return counts
