"""Distances and extents on the globe, over latitude and longitude arrays in degrees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.geo import EARTH_RADIUS_M, haversine_m
from bikenode.rides.formats.activity import FloatArray

__all__ = [
    "EARTH_RADIUS_M",
    "BoundingBox",
    "bounding_box",
    "carried_forward",
    "haversine_m",
    "start_point",
    "track_distance_m",
]


@dataclass(frozen=True)
class BoundingBox:
    """The smallest latitude/longitude box holding every position (no antimeridian wrap)."""

    min_lat_deg: float
    min_lon_deg: float
    max_lat_deg: float
    max_lon_deg: float


def track_distance_m(
    lat_deg: FloatArray, lon_deg: FloatArray, *, gaps: npt.NDArray[np.bool_] | None = None
) -> FloatArray:
    """Distance along the track from the first position to each point, in metres.

    Points without a position carry the distance of the last one that had it (0 before the
    first fix); a gap in the positions is bridged by a straight great-circle line, except
    into a point marked in gaps (a new track segment, a step no rider can make), which
    adds nothing.
    """
    has_position = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    lat, lon = lat_deg[has_position], lon_deg[has_position]
    steps_m = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    if gaps is not None and steps_m.size:
        # A gap at a point without a position still cuts the step to the next fix.
        cut = np.cumsum(gaps)[has_position]
        steps_m[np.diff(cut) > 0] = 0.0
    at_positions_m = np.concatenate(([0.0], np.cumsum(steps_m)))
    return carried_forward(at_positions_m, has_position)


def carried_forward(values: FloatArray, present: npt.NDArray[np.bool_]) -> FloatArray:
    """Spread values known at the True places of present over every point (0 before the first)."""
    rank = np.cumsum(present) - 1
    if values.size == 0:
        return np.zeros(present.shape[0])
    return np.where(rank >= 0, values[np.maximum(rank, 0)], 0.0)


def bounding_box(lat_deg: FloatArray, lon_deg: FloatArray) -> BoundingBox | None:
    """The box around all positions, or None when the track has none."""
    has_position = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    if not has_position.any():
        return None
    lat, lon = lat_deg[has_position], lon_deg[has_position]
    return BoundingBox(float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max()))


def start_point(lat_deg: FloatArray, lon_deg: FloatArray) -> tuple[float, float] | None:
    """The first (latitude, longitude) of the track, or None when it has no position."""
    first = np.flatnonzero(np.isfinite(lat_deg) & np.isfinite(lon_deg))
    if first.size == 0:
        return None
    return float(lat_deg[first[0]]), float(lon_deg[first[0]])
