"""Approximate locations: a job's point snapped to a grid before it is ever stored.

The grid is 0.01 degree of latitude (about 1.1 km) by the longitude step that spans about
the same distance at that latitude, so the snapped point is within ~0.8 km of the real one
and every home in the cell maps to the same centre. The exact point is never kept.
"""

from __future__ import annotations

import math

GRID_DEG = 0.01
MAX_RADIUS_KM = 200.0


def coarsen(lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """The centre of the grid cell holding the point (degrees, 5 decimals)."""
    if not (math.isfinite(lat_deg) and math.isfinite(lon_deg)):
        raise ValueError(f"expected finite coordinates, got {lat_deg!r}, {lon_deg!r}")
    if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
        raise ValueError(
            f"expected latitude in [-90, 90] and longitude in [-180, 180], got {lat_deg}, {lon_deg}"
        )
    lat_cell = math.floor(lat_deg / GRID_DEG)
    lat = (lat_cell + 0.5) * GRID_DEG
    # Longitude cells widen towards the poles so that a cell stays about as wide as tall.
    lon_step = GRID_DEG / max(math.cos(math.radians(min(abs(lat), 89.0))), 0.02)
    lon = (math.floor((lon_deg + 180) / lon_step) + 0.5) * lon_step - 180
    return round(min(lat, 90.0), 5), round(max(-180.0, min(lon, 180.0)), 5)


def bounding_box(
    lat_deg: float, lon_deg: float, radius_km: float
) -> tuple[float, float, float, float]:
    """(south, north, west, east) degrees around a point: an index prefilter for a radius."""
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(math.cos(math.radians(lat_deg)), 0.01))
    return lat_deg - dlat, lat_deg + dlat, lon_deg - dlon, lon_deg + dlon
