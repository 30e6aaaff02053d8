"""A segment's shape: simplified within its tolerance, figures, limits, grid cells."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bikenode.segments.logic.geometry import (
    MAX_LENGTH_M,
    SIMPLIFY_TOLERANCE_M,
    GeometryError,
    cell_of,
    cells_near_track,
    make_shape,
    point_segment_distance,
    project,
)
from tests.segment_tools import LAT0, LON0, segment_of, to_degrees, winding_road


def test_simplification_keeps_every_point_within_its_tolerance() -> None:
    xy = segment_of(winding_road(), 0.0, 3_000.0, step_m=2.0)
    lat, lon = to_degrees(xy)
    shape = make_shape(lat, lon, None)
    assert len(shape.lat_deg) < len(lat) / 5
    kept = project(LAT0, LON0, shape.lat_deg, shape.lon_deg)
    original = project(LAT0, LON0, lat, lon)
    nearest = np.min(
        [point_segment_distance(original, a, b) for a, b in itertools.pairwise(kept)],
        axis=0,
    )
    assert nearest.max() <= SIMPLIFY_TOLERANCE_M + 0.01
    assert shape.distance_m == pytest.approx(3_000.0, rel=0.01)


def test_elevation_gives_gain_and_average_grade() -> None:
    xy = segment_of(winding_road(), 0.0, 1_000.0, step_m=10.0)
    lat, lon = to_degrees(xy)
    elevation = np.linspace(100.0, 150.0, len(lat))
    elevation[5] = 90.0  # a dip: its rise back counts as climbing
    shape = make_shape(lat, lon, elevation)
    # 100 -> 102 before the dip, then every metre from 90 back up to 150
    assert shape.elevation_gain_m == pytest.approx(2.0 + 60.0, abs=0.1)
    assert shape.avg_grade_pct == pytest.approx(100.0 * 50.0 / shape.distance_m, abs=0.01)


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        ([46.0], [14.0], "at least 2"),
        ([46.0, np.nan], [14.0, 14.01], "finite"),
        ([46.0, 46.0], [14.0, np.inf], "finite"),
        ([46.0, 46.0], [14.0, 14.0001], "got 8 m"),
        ([46.0, 47.5], [14.0, 14.0], "100000 m"),
        ([89.0, 89.001], [14.0, 14.0], "±85°"),
    ],
)
def test_points_outside_the_limits_are_refused_with_the_reason(
    lat: list[float], lon: list[float], expected: str
) -> None:
    with pytest.raises(GeometryError, match=expected):
        make_shape(np.array(lat), np.array(lon), None)


def test_a_huge_polyline_is_refused_before_any_work() -> None:
    lat = np.full(200_001, 46.0)
    with pytest.raises(GeometryError, match="at most"):
        make_shape(lat, lat, None)


def test_limits_are_what_the_docs_say() -> None:
    assert MAX_LENGTH_M == 100_000.0


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-80.0, 80.0),
    lon=st.floats(-179.0, 179.0),
    dlat=st.floats(-0.0002, 0.0002),
    dlon=st.floats(-0.0002, 0.0002),
)
def test_a_track_within_the_margin_of_a_start_finds_its_cell(
    lat: float, lon: float, dlat: float, dlon: float
) -> None:
    """Positions up to ~22 m away (0.0002°) still list the cell of the start."""
    cells = cells_near_track(
        np.array([lat + dlat]), np.array([lon + dlon * np.cos(np.radians(lat))]), 25.0
    )
    assert cell_of(lat, lon) in cells
