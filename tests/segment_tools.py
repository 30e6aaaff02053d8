"""Generated rides for matcher tests: a path in local metres ridden at a steady speed,
sampled every dt seconds with optional GPS noise, as degrees around a fixed origin."""

from __future__ import annotations

import math

import numpy as np

from bikenode.segments.logic.geometry import FloatArray
from bikenode.segments.logic.matching import Track, clean_track

LAT0, LON0 = 46.05, 14.50
_M_PER_DEG = math.radians(1.0) * 6_371_008.8


def to_degrees(xy: FloatArray) -> tuple[FloatArray, FloatArray]:
    lat = LAT0 + xy[:, 1] / _M_PER_DEG
    lon = LON0 + xy[:, 0] / (_M_PER_DEG * math.cos(math.radians(LAT0)))
    return lat, lon


def along(path: FloatArray, distance: FloatArray) -> FloatArray:
    """Positions at these distances along a polyline (metres)."""
    steps = np.hypot(*np.diff(path, axis=0).T)
    cum = np.concatenate(([0.0], np.cumsum(steps)))
    x = np.interp(distance, cum, path[:, 0])
    y = np.interp(distance, cum, path[:, 1])
    return np.column_stack((x, y))


def path_length(path: FloatArray) -> float:
    return float(np.hypot(*np.diff(path, axis=0).T).sum())


def ride(
    path: FloatArray,
    *,
    speed_mps: float = 8.0,
    dt_s: float = 1.0,
    noise_m: float = 0.0,
    seed: int = 0,
    t0: float = 1_780_000_000.0,
) -> Track:
    """A ride along the path at a steady speed; the true time at distance d is t0 + d/v."""
    rng = np.random.default_rng(seed)
    distance = np.arange(0.0, path_length(path), speed_mps * dt_s)
    xy = along(path, distance) + rng.normal(0.0, noise_m, (len(distance), 2))
    lat, lon = to_degrees(xy)
    return clean_track(t0 + distance / speed_mps, lat, lon)


def segment_of(path: FloatArray, start_m: float, end_m: float, step_m: float = 10.0) -> FloatArray:
    """The stretch of a path from start_m to end_m, as (n, 2) metres."""
    return along(path, np.append(np.arange(start_m, end_m, step_m), end_m))


def winding_road(length_m: float = 6_000.0) -> FloatArray:
    """A road heading east with gentle bends (a sine of 80 m amplitude, 1.5 km period)."""
    x = np.arange(0.0, length_m, 5.0)
    return np.column_stack((x, 80.0 * np.sin(2 * math.pi * x / 1_500.0)))


def loop(radius_m: float = 400.0, laps: float = 1.0, lead_m: float = 200.0) -> FloatArray:
    """A lead-in from the west, then laps of a circle (counter-clockwise) starting at its
    westmost point."""
    angles = np.linspace(math.pi, math.pi + 2 * math.pi * laps, int(720 * laps) + 1)
    circle = np.column_stack((radius_m * np.cos(angles), radius_m * np.sin(angles)))
    lead = np.array([[-radius_m - lead_m, 0.0]])
    return np.vstack((lead, circle))


def gpx_of(track: Track, name: str = "Generated ride") -> bytes:
    """The track as a GPX file (one-second or coarser samples, UTC times)."""
    from datetime import UTC, datetime

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="bikenode-tests" xmlns="http://www.topografix.com/GPX/1/1">',
        f"<trk><name>{name}</name><type>cycling</type><trkseg>",
    ]
    for t, lat, lon in zip(track.time_s, track.lat_deg, track.lon_deg, strict=True):
        when = datetime.fromtimestamp(float(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><time>{when}</time></trkpt>')
    lines.append("</trkseg></trk></gpx>")
    return "\n".join(lines).encode()
