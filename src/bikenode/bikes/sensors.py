"""Sensor batteries: the readings each ride's file gave per serial, copied from
rides.ride_devices as the serials are, and a rider's sensors with their battery state."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
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
    """The rider's sensors that reported a battery, latest seen first, with their state:
    three queries whatever the number of rides."""
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
            SensorReading.ride_id,
        ).where(SensorReading.owner_id == owner_id, SensorReading.read_at >= latest - HISTORY)
    ).all()
    by_serial: dict[str, list[Reading]] = {}
    kinds: dict[str, str] = {}
    last_ride: dict[str, tuple[Reading, uuid.UUID]] = {}
    for serial, kind, read_at, status, voltage_v, ride_id in rows:
        reading = Reading(read_at, status, voltage_v)
        by_serial.setdefault(serial, []).append(reading)
        kinds.setdefault(serial, kind)
        if serial not in last_ride or read_at > last_ride[serial][0].read_at:
            last_ride[serial] = (reading, ride_id)
    bikes = _bikes_of_rides(session, owner_id, {ride for _, ride in last_ride.values()})
    sensors = []
    for serial, readings in by_serial.items():
        state = battery_state(kinds[serial], readings)
        if state is not None:
            bike = bikes.get(last_ride[serial][1])
            bike_id, bike_name = bike if bike else (None, None)
            sensors.append(Sensor(serial, kinds[serial], state, bike_id, bike_name))
    sensors.sort(key=lambda s: (s.battery.last_seen_at, s.serial), reverse=True)
    return sensors[:MAX_SENSORS]


def _bikes_of_rides(
    session: Session, owner_id: uuid.UUID, ride_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Ride id -> (bike id, name) of those rides on one of the owner's bikes."""
    if not ride_ids:
        return {}
    found = session.execute(
        select(RideAssignment.ride_id, Bike.id, Bike.name)
        .join(Bike, Bike.id == RideAssignment.bike_id)
        .where(RideAssignment.ride_id.in_(ride_ids), Bike.owner_id == owner_id)
    ).all()
    return {ride_id: (bike_id, name) for ride_id, bike_id, name in found}
