"""Privacy zones: what is cut, and that the cut does not give the hidden place away."""

from __future__ import annotations

import math
import random
import statistics

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.logic.geo import EARTH_RADIUS_M, haversine_m
from bikenode.rides.logic.privacy import (
    MIN_EXTRA_RADIUS_M,
    HiddenCircle,
    ZoneSecret,
    draw_zone_secret,
    hidden_circle,
    hidden_mask,
    trim_streams,
)

HOME = (48.8566, 2.3522)
RADIUS_M = 400.0


def _ray(
    lat: float, lon: float, bearing_deg: float, length_m: float, step_m: float = 5.0
) -> tuple[FloatArray, FloatArray]:
    """Points from (lat, lon) outwards along a bearing, every step_m metres."""
    d = np.arange(0.0, length_m, step_m)
    b = math.radians(bearing_deg)
    dlat = np.degrees(d * math.cos(b) / EARTH_RADIUS_M)
    dlon = np.degrees(d * math.sin(b) / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def _fit_circle_centre(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float]:
    """Least-squares circle centre (Kasa fit) in a local metric frame: the attacker's estimate."""
    y = np.radians(lat - HOME[0]) * EARTH_RADIUS_M
    x = np.radians(lon - HOME[1]) * EARTH_RADIUS_M * math.cos(math.radians(HOME[0]))
    a = np.column_stack([x, y, np.ones_like(x)])
    cx, cy, _ = np.linalg.lstsq(a, x**2 + y**2, rcond=None)[0] / np.array([2, 2, 1])
    return (
        HOME[0] + math.degrees(cy / EARTH_RADIUS_M),
        HOME[1] + math.degrees(cx / (EARTH_RADIUS_M * math.cos(math.radians(HOME[0])))),
    )


def _first_visible_points(circle: HiddenCircle, rides: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each of many rides leaving home in all directions becomes visible."""
    lats, lons = [], []
    for n in range(rides):
        lat, lon = _ray(*HOME, bearing_deg=n * 360.0 / rides, length_m=3 * RADIUS_M + 500)
        kept = trim_streams({"lat_deg": lat, "lon_deg": lon}, [circle])
        lats.append(kept["lat_deg"][0])
        lons.append(kept["lon_deg"][0])
    return np.array(lats), np.array(lons)


def test_centred_trim_gives_the_home_away_which_is_why_zones_are_offset() -> None:
    naive = HiddenCircle(*HOME, RADIUS_M)
    lat, lon = _first_visible_points(naive, 72)
    estimate = _fit_circle_centre(lat, lon)
    assert float(haversine_m(*estimate, *HOME)) < 10.0  # the attack of Hassan et al. works


def test_cut_boundary_centre_does_not_reveal_the_zone_centre() -> None:
    rng = random.Random(20181)
    errors_m = []
    for _ in range(60):
        secret = draw_zone_secret(RADIUS_M, rng)
        circle = hidden_circle(*HOME, RADIUS_M, secret)
        lat, lon = _first_visible_points(circle, 36)
        estimate = _fit_circle_centre(lat, lon)
        # The attacker finds the cut circle's centre, which is the secret offset away.
        assert abs(float(haversine_m(*estimate, *HOME)) - secret.offset_m) < 10.0
        errors_m.append(float(haversine_m(*estimate, *HOME)))
    # Offsets uniform over the zone's disc: the median error is radius * sqrt(1/2) ~ 283 m.
    assert statistics.median(errors_m) > 0.5 * RADIUS_M
    assert max(errors_m) > 0.9 * RADIUS_M


def test_many_rides_do_not_average_the_offset_away() -> None:
    secret = ZoneSecret(offset_m=300.0, offset_bearing_deg=70.0, extra_radius_m=80.0)
    circle = hidden_circle(*HOME, RADIUS_M, secret)  # the same secret for every ride
    few = _fit_circle_centre(*_first_visible_points(circle, 8))
    many = _fit_circle_centre(*_first_visible_points(circle, 360))
    for estimate in (few, many):
        assert float(haversine_m(*estimate, *HOME)) > 290.0


@settings(max_examples=200, deadline=None)
@given(
    radius_m=st.floats(100, 5000),
    seed=st.integers(0, 2**32),
    bearing_deg=st.floats(0, 360),
    distance_fraction=st.floats(0, 1),
)
def test_every_point_in_the_zone_plus_margin_is_hidden(
    radius_m: float, seed: int, bearing_deg: float, distance_fraction: float
) -> None:
    circle = hidden_circle(*HOME, radius_m, draw_zone_secret(radius_m, random.Random(seed)))
    reach_m = (radius_m + MIN_EXTRA_RADIUS_M) * distance_fraction * 0.999
    lat, lon = _ray(*HOME, bearing_deg, reach_m + 1e-3, step_m=max(reach_m, 1e-3))
    assert hidden_mask([circle], lat[-1:], lon[-1:]).all()


def test_points_without_position_take_the_status_of_the_last_fix() -> None:
    lat, lon = _ray(*HOME, 0.0, 2000.0, step_m=100.0)
    lat, lon = lat.copy(), lon.copy()
    lat[0] = lon[0] = np.nan  # before the first fix: at home
    lat[10] = lon[10] = np.nan  # a drop-out far away
    mask = hidden_mask([HiddenCircle(*HOME, 450.0)], lat, lon)
    assert mask[:5].all()
    assert not mask[5:].any()


def test_trim_drops_the_device_odometer_and_keeps_streams_aligned() -> None:
    lat, lon = _ray(*HOME, 90.0, 2000.0, step_m=100.0)
    streams = {
        "time_s": np.arange(lat.size, dtype=float),
        "lat_deg": lat,
        "lon_deg": lon,
        "distance_m": np.arange(lat.size) * 100.0,
        "hr_bpm": np.full(lat.size, 120.0),
    }
    trimmed = trim_streams(streams, [HiddenCircle(*HOME, 450.0)])
    assert "distance_m" not in trimmed
    assert {len(v) for v in trimmed.values()} == {15}
    assert trimmed["time_s"][0] == 5.0
    untouched = trim_streams(streams, [HiddenCircle(0.0, 0.0, 450.0)])
    assert untouched.keys() == streams.keys()


def test_track_without_positions_is_not_cut() -> None:
    streams = {"time_s": np.arange(5.0), "hr_bpm": np.full(5, 100.0)}
    assert trim_streams(streams, [HiddenCircle(*HOME, 450.0)])["time_s"].size == 5
