"""Sensor batteries: the readings each ride's file gave per serial, copied from
rides.ride_devices as the serials are, and a rider's sensors with their battery state."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.bikes.logic.batteries import BatteryState, Reading, battery_state
from bikenode.bikes.models import Bike, RideAssignment, SensorReading

# Explicit limits: the state is computed from the last two years of readings (a battery that
# was charged longer ago than that shows no "last charged"), for at most 100 sensors.
HISTORY = timedelta(days=730)
MAX_SENSORS = 100
MAX_READINGS_PER_RIDE = 64  # 2 per device; a file naming more devices is cut here


@dataclass(frozen=True)
class Sensor:
    """One of a rider's sensors: serial, kind, its battery, and the bike its latest ride
    was on (None: none, or a ride on no bike)."""

    serial: str
    kind: str
    battery: BatteryState
    bike_id: uuid.UUID | None
    bike_name: str | None


def copy_readings(
    session: Session,
    *,
    owner_id: uuid.UUID,
    ride_id: uuid.UUID,
    devices: Sequence[rides.RideDevice],
) -> None:
    """Replace the ride's battery readings with those its devices carry now; never commits."""
    forget_readings(session, ride_id=ride_id)
    rows = [
        SensorReading(
            owner_id=owner_id,
            ride_id=ride_id,
            serial=device.serial[:20],
            kind=device.kind[:20],
            read_at=reading.read_at,
            status=reading.status[:10] if reading.status else None,
            voltage_v=reading.voltage_v,
        )
        for device in devices
        for reading in device.battery
    ]
    session.add_all(rows[:MAX_READINGS_PER_RIDE])


def forget_readings(session: Session, *, ride_id: uuid.UUID) -> None:
    """Drop a ride's battery readings (the ride is gone or changed); never commits."""
    session.execute(delete(SensorReading).where(SensorReading.ride_id == ride_id))


def list_sensors(session: Session, *, owner_id: uuid.UUID) -> list[Sensor]:
    """The rider's sensors that reported a battery, latest seen first, with their state and
    the bike they were last seen on: three queries whatever the number of rides."""
    latest = session.scalar(
        select(func.max(SensorReading.read_at)).where(SensorReading.owner_id == owner_id)
    )
    if latest is None:
        return []
    rows = session.execute(
        select(
            SensorReading.serial,
            SensorReading.kind,
            SensorReading.read_at,
            SensorReading.status,
            SensorReading.voltage_v,
        ).where(SensorReading.owner_id == owner_id, SensorReading.read_at >= latest - HISTORY)
    ).all()
    by_serial: dict[str, list[Reading]] = {}
    kinds: dict[str, str] = {}
    for serial, kind, read_at, status, voltage_v in rows:
        by_serial.setdefault(serial, []).append(Reading(read_at, status, voltage_v))
        kinds.setdefault(serial, kind)
    states = [
        (serial, state)
        for serial, readings in by_serial.items()
        if (state := battery_state(kinds[serial], readings)) is not None
    ]
    states.sort(key=lambda pair: (pair[1].last_seen_at, pair[0]), reverse=True)
    states = states[:MAX_SENSORS]
    bikes = _bikes_seen_on(session, owner_id, [(s, state.last_seen_at) for s, state in states])
    return [
        Sensor(serial, kinds[serial], state, *bikes.get(serial, (None, None)))
        for serial, state in states
    ]


def _bikes_seen_on(
    session: Session, owner_id: uuid.UUID, seen: list[tuple[str, datetime]]
) -> dict[str, tuple[uuid.UUID, str]]:
    """Serial -> (bike id, name) of the ride that gave its latest reading, if on a bike."""
    if not seen:
        return {}
    found = session.execute(
        select(SensorReading.serial, Bike.id, Bike.name)
        .join(RideAssignment, RideAssignment.ride_id == SensorReading.ride_id)
        .join(Bike, Bike.id == RideAssignment.bike_id)
        .where(
            SensorReading.owner_id == owner_id,
            Bike.owner_id == owner_id,
            tuple_(SensorReading.serial, SensorReading.read_at).in_(seen),
        )
    ).all()
    return {serial: (bike_id, name) for serial, bike_id, name in found}
