"""What other domains may read of a ride's recording: its time, power and heart rate.

Training load and power curves (fitness) need a ride's raw signals, not its pages; this is
the one door to them, so that no other domain reads the rides tables or decodes streams.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.logic.efforts import OneHertzSeries, resample_1hz, weighted_power_w
from bikenode.rides.models import Ride
from bikenode.rides.privacy import streams_seen_by
from bikenode.rides.service import get_visible_ride
from bikenode.rides.storage import load_streams, load_streams_of

MAX_SIGNALS_BATCH = 200  # rides per rides_signals call: their decoded streams stay in memory
# The streams signals are made of: the others (positions, speed, ...) are never decoded.
SIGNAL_STREAMS = frozenset({"time_s", "power_w", "hr_bpm"})


@dataclass(frozen=True)
class RideSignals:
    """A ride's recording as its owner sees it.

    started_at is UTC (None for an untimed ride); the arrays are aligned, time_s in seconds
    since the Unix epoch, NaN where a sample is missing; a stream the ride lacks is None.
    power_1hz_w is power one second apart as rides' own efforts use it: short gaps
    interpolated, stops as zeros (rides/logic/efforts.py); power_recorded_s its recorded
    seconds and weighted_power_w rides' weighted (normalised) power over them.
    """

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    sport: str
    started_at: datetime | None
    elapsed_time_s: float | None
    moving_time_s: float | None
    time_s: FloatArray | None
    power_w: FloatArray | None
    heart_rate_bpm: FloatArray | None
    power_1hz_w: FloatArray | None = None
    power_recorded_s: int = 0
    weighted_power_w: float | None = None
    avg_hr_bpm: float | None = None


@dataclass(frozen=True)
class RideStart:
    """When one of a rider's rides started (UTC; None for an untimed ride)."""

    ride_id: uuid.UUID
    started_at: datetime | None


@dataclass(frozen=True)
class RidePower:
    """The time and power one viewer may see of a ride (power None: absent or withheld)."""

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    started_at: datetime | None
    time_s: FloatArray | None
    power_w: FloatArray | None
    power_1hz_w: FloatArray | None = None


def ride_signals(session: Session, ride_id: uuid.UUID) -> RideSignals | None:
    """The ride's time, power and heart rate with its owner and start; None if no such ride."""
    return rides_signals(session, [ride_id]).get(ride_id)


def rides_signals(session: Session, ride_ids: list[uuid.UUID]) -> dict[uuid.UUID, RideSignals]:
    """ride_signals of several rides in two queries, by ride id (missing rides left out);
    at most MAX_SIGNALS_BATCH rides (ValueError beyond)."""
    if len(ride_ids) > MAX_SIGNALS_BATCH:
        raise ValueError(f"expected at most {MAX_SIGNALS_BATCH} rides, got {len(ride_ids)}")
    if not ride_ids:
        return {}
    # The summary and notes are JSON of several kB a ride that signals never use.
    query = select(Ride).where(Ride.id.in_(ride_ids))
    found = session.scalars(query.options(defer(Ride.summary), defer(Ride.import_notes))).all()
    streams = load_streams_of(session, [ride.id for ride in found], SIGNAL_STREAMS)
    return {ride.id: _signals(ride, streams.get(ride.id, {})) for ride in found}


def _signals(ride: Ride, streams: dict[str, FloatArray]) -> RideSignals:
    time, power, hr = streams.get("time_s"), streams.get("power_w"), streams.get("hr_bpm")
    series = _one_hertz(time, power)
    finite_hr = hr[np.isfinite(hr)] if hr is not None else np.zeros(0)
    return RideSignals(
        ride_id=ride.id,
        owner_id=ride.owner_id,
        sport=ride.sport,
        started_at=ride.started_at,
        elapsed_time_s=ride.elapsed_time_s,
        moving_time_s=ride.moving_time_s,
        time_s=time,
        power_w=power,
        heart_rate_bpm=hr,
        power_1hz_w=series.values if series else None,
        power_recorded_s=series.recorded_s if series else 0,
        weighted_power_w=weighted_power_w(series) if series else None,
        avg_hr_bpm=float(finite_hr.mean()) if finite_hr.size else None,
    )


def list_ride_starts(session: Session, owner_id: uuid.UUID) -> list[RideStart]:
    """Every ride of the rider with its start, oldest first (untimed rides last)."""
    rows = session.execute(
        select(Ride.id, Ride.started_at)
        .where(Ride.owner_id == owner_id)
        .order_by(Ride.started_at.is_(None), Ride.started_at, Ride.id)
    )
    return [RideStart(ride_id, started_at) for ride_id, started_at in rows]


def ride_power_seen_by(
    session: Session, *, ride_id: uuid.UUID, viewer_id: uuid.UUID | None
) -> RidePower:
    """The ride's time and power as this viewer may see them (rides' visibility and health
    sharing rules); NotFound, as for a missing ride, when the viewer may not see the ride."""
    ride = get_visible_ride(session, ride_id=ride_id, viewer_id=viewer_id)
    streams = streams_seen_by(session, ride=ride, viewer_id=viewer_id)
    time, power = streams.get("time_s"), streams.get("power_w")
    series = _one_hertz(time, power)
    return RidePower(
        ride_id=ride.id,
        owner_id=ride.owner_id,
        started_at=ride.started_at,
        time_s=time,
        power_w=power,
        power_1hz_w=series.values if series else None,
    )


def _one_hertz(time: FloatArray | None, power: FloatArray | None) -> OneHertzSeries | None:
    """Power on rides' one-second grid; None without power or without a recorded second."""
    if time is None or power is None or not np.isfinite(power).any():
        return None
    series = resample_1hz(time, power)
    return series if series.recorded_s else None


@dataclass(frozen=True)
class RideTrack:
    """A ride's positions as its owner recorded them, for segment matching: owner,
    visibility ("private", "followers" or "public"), start (UTC) and aligned streams (time_s
    in epoch seconds, degrees, metres; NaN where missing; None for a stream the ride lacks)."""

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    visibility: str
    sport: str
    started_at: datetime | None
    time_s: FloatArray | None
    lat_deg: FloatArray | None
    lon_deg: FloatArray | None
    elevation_m: FloatArray | None
    power_w: FloatArray | None
    hr_bpm: FloatArray | None


def ride_track(session: Session, ride_id: uuid.UUID) -> RideTrack | None:
    """The ride's whole track as its owner sees it; None if there is no such ride.

    Whole, zones not cut: segments judges privacy itself when it shows efforts to others."""
    ride = session.get(Ride, ride_id)
    if ride is None:
        return None
    streams = load_streams(session, ride_id) if ride.has_position else {}
    return RideTrack(
        ride_id=ride.id,
        owner_id=ride.owner_id,
        visibility=ride.visibility,
        sport=ride.sport,
        started_at=ride.started_at,
        time_s=streams.get("time_s"),
        lat_deg=streams.get("lat_deg"),
        lon_deg=streams.get("lon_deg"),
        elevation_m=streams.get("elevation_m"),
        power_w=streams.get("power_w"),
        hr_bpm=streams.get("hr_bpm"),
    )
