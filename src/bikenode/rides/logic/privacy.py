"""Privacy zones: which points of a track to hide, and the track others see.

A zone is a circle (centre, radius) a rider draws around a place such as home. Cutting the
track exactly at that circle gives the place away: every public track then starts on the
circle, and the centre of the circle through the start points is the home (Hassan et al.,
USENIX Security 2018, found 95% of homes this way). So each zone gets a secret, drawn once and
kept: the cut circle's centre is moved by `offset_m` (uniform over the disc of the zone's
radius) and its radius grows by that offset plus `extra_radius_m`. The cut circle therefore
always covers the whole zone plus at least `extra_radius_m`, and what an observer can fit
from many rides is the cut circle, whose centre is up to one zone radius from the true one,
uniformly within that disc. Because the secret never changes, more rides do not average the
offset away: they only pin down the cut circle better.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import FloatArray, ParsedActivity
from bikenode.rides.logic.analytics import RideSummary, summarise
from bikenode.rides.logic.geo import EARTH_RADIUS_M, haversine_m

__all__ = [
    "MIN_EXTRA_RADIUS_M",
    "BoolArray",
    "HiddenCircle",
    "ZoneSecret",
    "draw_zone_secret",
    "hidden_circle",
    "hidden_mask",
    "summarise_trimmed",
    "touches_box",
    "trim_streams",
]

# Every cut reaches at least this far beyond the zone: GPS noise near the edge must not leak.
MIN_EXTRA_RADIUS_M = 50.0
# Streams that only make sense for the whole ride: the device's odometer counts the hidden
# metres too, so others get the distance measured along the trimmed track instead.
WHOLE_RIDE_STREAMS = ("distance_m",)

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ZoneSecret:
    """How a zone's cut circle differs from the zone: drawn once per zone, then kept."""

    offset_m: float
    offset_bearing_deg: float
    extra_radius_m: float


@dataclass(frozen=True)
class HiddenCircle:
    """A circle inside which no point of a track is shown to others."""

    lat_deg: float
    lon_deg: float
    radius_m: float


def draw_zone_secret(radius_m: float, rng: random.Random) -> ZoneSecret:
    """A random offset (uniform over the zone's disc) and extra radius for a new zone."""
    offset_m = radius_m * math.sqrt(rng.random())  # sqrt: uniform by area, not by distance
    extra_m = MIN_EXTRA_RADIUS_M + rng.random() * radius_m / 2.0
    return ZoneSecret(offset_m, rng.random() * 360.0, extra_m)


def hidden_circle(
    lat_deg: float, lon_deg: float, radius_m: float, secret: ZoneSecret
) -> HiddenCircle:
    """The cut circle of a zone: moved by the secret offset, grown to cover the whole zone."""
    bearing = math.radians(secret.offset_bearing_deg)
    dlat = secret.offset_m * math.cos(bearing) / EARTH_RADIUS_M
    dlon = secret.offset_m * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat_deg)))
    return HiddenCircle(
        lat_deg + math.degrees(dlat),
        lon_deg + math.degrees(dlon),
        radius_m + secret.offset_m + secret.extra_radius_m,
    )


def hidden_mask(
    circles: Sequence[HiddenCircle], lat_deg: FloatArray, lon_deg: FloatArray
) -> BoolArray:
    """True for each point to hide: inside a circle, or without a position next to one.

    A point without a position (a GPS drop-out) takes the status of the last point before it
    that had one (the first such point, at the start), so sensor samples recorded at home
    before the first fix are hidden too. A track with no position at all hides nothing.
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    has_position = np.isfinite(lat) & np.isfinite(lon)
    inside = np.zeros(lat.shape[0], dtype=bool)
    for circle in circles:
        distance_m = haversine_m(circle.lat_deg, circle.lon_deg, lat, lon)
        inside |= has_position & (distance_m <= circle.radius_m)
    if not circles or not has_position.any():
        return inside
    positioned = np.flatnonzero(has_position)
    # For each point, the index of the last positioned point at or before it (the first one
    # for points before any fix).
    last = np.maximum.accumulate(np.where(has_position, np.arange(lat.shape[0]), -1))
    last = np.where(last < 0, positioned[0], last)
    return np.asarray(inside[last], dtype=bool)


def touches_box(
    circle: HiddenCircle, min_lat: float, min_lon: float, max_lat: float, max_lon: float
) -> bool:
    """Whether the circle reaches the latitude/longitude box at all (a cheap pre-check)."""
    nearest_lat = min(max(circle.lat_deg, min_lat), max_lat)
    nearest_lon = min(max(circle.lon_deg, min_lon), max_lon)
    gap_m = float(haversine_m(circle.lat_deg, circle.lon_deg, nearest_lat, nearest_lon))
    return gap_m <= circle.radius_m


def trim_streams(
    streams: dict[str, FloatArray], circles: Sequence[HiddenCircle]
) -> dict[str, FloatArray]:
    """The streams others see: points in a circle removed, whole-ride streams dropped."""
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    if not circles or lat is None or lon is None:
        return dict(streams)
    keep = ~hidden_mask(circles, lat, lon)
    if keep.all():
        return dict(streams)
    return {
        name: np.asarray(values[keep], dtype=np.float64)
        for name, values in streams.items()
        if name not in WHOLE_RIDE_STREAMS
    }


def summarise_trimmed(
    trimmed: dict[str, FloatArray],
    *,
    source_format: str,
    sport: str | None,
    ftp_w: float | None,
    max_hr_bpm: float | None,
) -> RideSummary:
    """The summary of the track others see, measured afresh on the trimmed streams: the
    device's totals count the hidden part too. Health figures are still in it."""
    activity = ParsedActivity(format=source_format, streams=trimmed, sport=sport)
    return summarise(activity, ftp_w=ftp_w, max_hr_bpm=max_hr_bpm)
