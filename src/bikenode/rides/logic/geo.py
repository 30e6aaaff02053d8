"""Distances and extents on the globe, over latitude and longitude arrays in degrees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius: the usual sphere for haversine distances


@dataclass(frozen=True)
class BoundingBox:
    """The smallest latitude/longitude box holding every position (no antimeridian wrap)."""

    min_lat_deg: float
    min_lon_deg: float
    max_lat_deg: float
    max_lon_deg: float


def haversine_m(
    lat1_deg: npt.ArrayLike,
    lon1_deg: npt.ArrayLike,
    lat2_deg: npt.ArrayLike,
    lon2_deg: npt.ArrayLike,
) -> FloatArray:
    """Great-circle distances in metres between two sets of points (numpy broadcasting)."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(a, dtype=np.float64))
        for a in (lat1_deg, lon1_deg, lat2_deg, lon2_deg)
    )
    half_chord = (
        np.sin((lat2 - lat1) / 2.0) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    )
    # Rounding can push antipodal points a hair above 1, where arcsin is undefined.
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(half_chord, 0.0, 1.0))))


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
