"""Recognising the same activity uploaded twice: same file, or another device's recording."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.logic.geo import haversine_m

# Two recordings are one ride when they overlap in time for most of the shorter one...
MIN_TIME_OVERLAP_FRACTION = 0.8
# ...and, where both have positions, start within this distance of each other.
MAX_START_DISTANCE_M = 1000.0


@dataclass(frozen=True)
class RideFootprint:
    """Where and when a recording happened, in the few numbers duplicate checks need."""

    start_s: float | None
    end_s: float | None
    start_lat_deg: float | None
    start_lon_deg: float | None
    distance_m: float | None


def footprint(streams: dict[str, FloatArray], distance_m: float | None) -> RideFootprint:
    """The footprint of a recording's streams."""
    time_s = streams.get("time_s")
    start_s = end_s = None
    if time_s is not None and np.isfinite(time_s).any():
        start_s, end_s = float(np.nanmin(time_s)), float(np.nanmax(time_s))
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    start_lat = start_lon = None
    if lat is not None and lon is not None:
        valid = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        if valid.size:
            start_lat, start_lon = float(lat[valid[0]]), float(lon[valid[0]])
    return RideFootprint(start_s, end_s, start_lat, start_lon, distance_m)


def is_same_activity(a: RideFootprint, b: RideFootprint) -> bool:
    """True if two recordings are the same ride (overlapping in time and place)."""
    if a.start_s is None or b.start_s is None or a.end_s is None or b.end_s is None:
        return _same_untimed(a, b)
    overlap_s = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    shorter_s = min(a.end_s - a.start_s, b.end_s - b.start_s)
    if shorter_s <= 0:
        if abs(a.start_s - b.start_s) > 1:
            return False
    elif overlap_s < MIN_TIME_OVERLAP_FRACTION * shorter_s:
        return False
    return _starts_close(a, b)


def _starts_close(a: RideFootprint, b: RideFootprint) -> bool:
    if None in (a.start_lat_deg, a.start_lon_deg, b.start_lat_deg, b.start_lon_deg):
        return True  # an indoor recording beside an outdoor one: time alone decides
    distance = haversine_m(
        np.array([a.start_lat_deg]),
        np.array([a.start_lon_deg]),
        np.array([b.start_lat_deg]),
        np.array([b.start_lon_deg]),
    )
    return bool(float(distance[0]) <= MAX_START_DISTANCE_M)


def _same_untimed(a: RideFootprint, b: RideFootprint) -> bool:
    # Without times (a route-like GPX) only an identical start and distance count.
    if (
        a.distance_m is None
        or b.distance_m is None
        or a.start_s is not None
        or b.start_s is not None
    ):
        return False
    same_length = math.isclose(a.distance_m, b.distance_m, rel_tol=0.01, abs_tol=10)
    return same_length and _starts_close(a, b) and a.start_lat_deg is not None
