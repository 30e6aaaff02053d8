"""A segment's shape: local planar projection, simplification, figures and grid cells.

Positions are degrees WGS84, distances metres. Segments are short (at most MAX_LENGTH_M), so
an equirectangular projection around the segment's start is accurate to well under a metre
there; every matcher distance is measured in that plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.geo import EARTH_RADIUS_M, haversine_m

FloatArray = npt.NDArray[np.float64]

MIN_LENGTH_M = 100.0
MAX_LENGTH_M = 100_000.0
MAX_POINTS = 5_000  # points of a polyline a client may send
SIMPLIFY_TOLERANCE_M = 2.0  # Douglas-Peucker: every dropped point stays within this of the line
CELL_DEG = 0.01  # candidate grid: ~1.1 km north-south, less east-west
_CELL_COLS = 36_001


class GeometryError(ValueError):
    """The points do not make a segment (too few, too short or long, not finite)."""


@dataclass(frozen=True)
class Shape:
    """A segment's simplified polyline and figures: metres, metres climbed, percent grade."""

    lat_deg: FloatArray
    lon_deg: FloatArray
    elevation_m: FloatArray | None
    distance_m: float
    elevation_gain_m: float | None
    avg_grade_pct: float | None


def project(lat0: float, lon0: float, lat: FloatArray, lon: FloatArray) -> FloatArray:
    """(n, 2) metres east and north of (lat0, lon0), equirectangular."""
    k = math.radians(1.0) * EARTH_RADIUS_M
    x = (lon - lon0) * k * math.cos(math.radians(lat0))
    y = (lat - lat0) * k
    return np.column_stack((x, y))


def simplify_mask(xy: FloatArray, tolerance_m: float) -> npt.NDArray[np.bool_]:
    """Douglas-Peucker: True for the points kept; each dropped one lies within tolerance_m of
    the kept polyline, so the shape survives (first and last always kept)."""
    n = len(xy)
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        inner = xy[first + 1 : last]
        distances = point_segment_distance(inner, xy[first], xy[last])
        worst = int(np.argmax(distances))
        if distances[worst] > tolerance_m:
            split = first + 1 + worst
            keep[split] = True
            stack += [(first, split), (split, last)]
    return keep


def point_segment_distance(points: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Distance of each point to the line segment a-b (all planar metres)."""
    ab = b - a
    length2 = float(ab @ ab)
    if length2 == 0.0:
        return np.asarray(np.hypot(*(points - a).T))
    t = np.clip(((points - a) @ ab) / length2, 0.0, 1.0)
    nearest = a + t[:, None] * ab
    return np.asarray(np.hypot(*(points - nearest).T))


def make_shape(lat: FloatArray, lon: FloatArray, elevation: FloatArray | None) -> Shape:
    """The simplified segment through these points with its figures; GeometryError if the
    points are not finite, fewer than two, or the length is outside the limits."""
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    if len(lat) < 2 or len(lat) != len(lon):
        raise GeometryError(f"expected at least 2 positions, got {len(lat)}")
    if len(lat) > MAX_POINTS * 20:
        raise GeometryError(f"expected at most {MAX_POINTS * 20} positions, got {len(lat)}")
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise GeometryError("expected finite latitudes and longitudes, got NaN or infinity")
    if np.abs(lat).max() > 85 or np.abs(lon).max() > 180:
        raise GeometryError("expected latitudes within ±85° and longitudes within ±180°")
    distance = float(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())
    if not MIN_LENGTH_M <= distance <= MAX_LENGTH_M:
        raise GeometryError(
            f"expected a segment of {MIN_LENGTH_M:.0f} m to {MAX_LENGTH_M:.0f} m,"
            f" got {distance:.0f} m"
        )
    gain, grade = _climb(elevation, distance)
    keep = simplify_mask(project(lat[0], lon[0], lat, lon), SIMPLIFY_TOLERANCE_M)
    ele = None if elevation is None else np.asarray(elevation, dtype=np.float64)[keep]
    return Shape(lat[keep], lon[keep], ele, distance, gain, grade)


def _climb(elevation: FloatArray | None, distance_m: float) -> tuple[float | None, float | None]:
    """Metres climbed (rises summed) and the average grade end to end, percent."""
    if elevation is None:
        return None, None
    ele = np.asarray(elevation, dtype=np.float64)
    finite = ele[np.isfinite(ele)]
    if len(finite) < 2:
        return None, None
    gain = float(np.clip(np.diff(finite), 0.0, None).sum())
    return round(gain, 1), round(100.0 * float(finite[-1] - finite[0]) / distance_m, 2)


def cell_of(lat_deg: float, lon_deg: float) -> int:
    """The grid cell key holding a position (one integer, indexable on any database)."""
    return int(math.floor(lat_deg / CELL_DEG) + 9_000) * _CELL_COLS + int(
        math.floor(lon_deg / CELL_DEG) + 18_000
    )


def cells_near_track(lat: FloatArray, lon: FloatArray, margin_m: float) -> set[int]:
    """Every cell within margin_m of some position of the track (its four shifted corners),
    so a gate hit near a cell's edge still finds the segment that starts in the next one."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if not len(lat):
        return set()
    dlat = margin_m / (math.radians(1.0) * EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(min(float(np.abs(lat).max()), 85.0))), 1e-6)
    cells: set[int] = set()
    for sy in (-dlat, dlat):
        for sx in (-dlon, dlon):
            iy = np.floor((lat + sy) / CELL_DEG).astype(np.int64) + 9_000
            ix = np.floor((lon + sx) / CELL_DEG).astype(np.int64) + 18_000
            cells.update(np.unique(iy * _CELL_COLS + ix).tolist())
    return cells
