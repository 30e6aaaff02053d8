"""What other domains may read of a ride's totals: whose it is, its sport, start and figures.

Bikes counts component wear from these; it copies them rather than reading rides' tables.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bikenode.rides.models import Ride


@dataclass(frozen=True)
class RideTotals:
    """A ride's owner, sport (and sub-sport, e.g. indoor_cycling), start (UTC, None if
    untimed) and totals: metres, seconds of moving time, metres climbed (None if unknown)."""

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    sport: str
    sub_sport: str | None
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None
    elevation_gain_m: float | None


def ride_totals(session: Session, ride_id: uuid.UUID) -> RideTotals | None:
    """The ride's totals, or None if there is no such ride (deleted, or never was)."""
    row = session.execute(
        select(
            Ride.owner_id,
            Ride.sport,
            Ride.sub_sport,
            Ride.started_at,
            Ride.distance_m,
            Ride.moving_time_s,
            Ride.elevation_gain_m,
        ).where(Ride.id == ride_id)
    ).one_or_none()
    return None if row is None else RideTotals(ride_id, *row)


@dataclass(frozen=True)
class BatteryReading:
    """A sensor's battery as its device_info reported it at `read_at` (UTC): the status
    ("new", "good", "ok", "low", "critical", None) and volts (None if not sent)."""

    read_at: datetime
    status: str | None
    voltage_v: float | None


@dataclass(frozen=True)
class RideDevice:
    """A device a ride's file named by serial number: the head unit that recorded it or a
    sensor ("head_unit", "power_meter", "heart_rate", "speed_cadence", "radar", "shifting",
    "light", "sensor"), with the battery readings the file gave (the first and last)."""

    serial: str
    kind: str
    battery: tuple[BatteryReading, ...] = ()


def ride_devices(session: Session, ride_id: uuid.UUID) -> tuple[RideDevice, ...]:
    """The devices the ride's original file named (FIT device_info), as read at import;
    empty for a missing ride or a file that names none (GPX, TCX)."""
    summary = session.scalar(select(Ride.summary).where(Ride.id == ride_id))
    found = (summary or {}).get("devices") or []
    return tuple(
        RideDevice(str(d["serial"]), str(d["kind"]), _battery(d.get("battery")))
        for d in found
        if isinstance(d, dict) and "serial" in d and "kind" in d
    )


def _battery(stored: object) -> tuple[BatteryReading, ...]:
    """Readings stored as [ISO time, status, volts]; a malformed one is skipped."""
    readings = []
    for item in stored if isinstance(stored, list) else []:
        try:
            at, status, volts = item
            read_at = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            continue
        voltage = float(volts) if isinstance(volts, int | float) else None
        readings.append(
            BatteryReading(read_at, status if isinstance(status, str) else None, voltage)
        )
    return tuple(readings)


@dataclass(frozen=True)
class RideAccess:
    """Whose a ride is and who may see it ("private", "followers" or "public")."""

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    visibility: str


def ride_access(session: Session, ride_id: uuid.UUID) -> RideAccess | None:
    """The ride's owner and visibility, or None if there is no such ride."""
    row = session.execute(
        select(Ride.owner_id, Ride.visibility).where(Ride.id == ride_id)
    ).one_or_none()
    return None if row is None else RideAccess(ride_id, *row)


def rides_around(
    session: Session,
    *,
    box: tuple[float, float, float, float],
    after: uuid.UUID | None = None,
    limit: int = 500,
) -> list[uuid.UUID]:
    """Ids of rides whose bounding box holds the whole box (min_lat, min_lon, max_lat,
    max_lon), in id order after `after`: the rides that may pass a place, page by page."""
    min_lat, min_lon, max_lat, max_lon = box
    statement = select(Ride.id).where(
        Ride.min_lat <= min_lat,
        Ride.min_lon <= min_lon,
        Ride.max_lat >= max_lat,
        Ride.max_lon >= max_lon,
    )
    if after is not None:
        statement = statement.where(Ride.id > after)
    return list(session.scalars(statement.order_by(Ride.id).limit(limit)))


@dataclass(frozen=True)
class RiderWeekTotals:
    """One rider's shared rides started in a time window: how many, metres, seconds of
    moving time and metres climbed (unknown figures count as 0)."""

    owner_id: uuid.UUID
    rides: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float


def riders_totals(
    session: Session, *, owners: Select[uuid.UUID], since: datetime, until: datetime
) -> list[RiderWeekTotals]:
    """Totals of the rides started in [since, until) that others may see (public or
    followers-only: never private ones) of the riders the sub-select names (a club's
    members), in one query over ix_rides_owner_started. Riders without such a ride are left
    out."""
    rows = session.execute(
        select(
            Ride.owner_id,
            func.count(),
            func.coalesce(func.sum(Ride.distance_m), 0.0),
            func.coalesce(func.sum(Ride.moving_time_s), 0.0),
            func.coalesce(func.sum(Ride.elevation_gain_m), 0.0),
        )
        .where(
            Ride.owner_id.in_(owners),
            Ride.started_at >= since,
            Ride.started_at < until,
            Ride.visibility != "private",
        )
        .group_by(Ride.owner_id)
    )
    return [RiderWeekTotals(o, n, d or 0.0, t or 0.0, e or 0.0) for o, n, d, t, e in rows]
