"""Approximate locations: a point becomes its ~1 km cell's centre, never itself."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.geo import haversine_m
from bikenode.market.logic.location import bounding_box, coarsen


def test_two_neighbouring_homes_share_one_cell_and_neither_is_kept() -> None:
    a, b = coarsen(51.50731, -0.12765), coarsen(51.50702, -0.12711)
    assert a == b
    assert a != (51.50731, -0.12765)


@given(st.floats(-85, 85), st.floats(-179.9, 179.9))
def test_the_cell_centre_is_within_a_kilometre_of_the_point(lat: float, lon: float) -> None:
    clat, clon = coarsen(lat, lon)
    assert float(haversine_m(lat, lon, clat, clon)) < 1000


@pytest.mark.parametrize("lat, lon", [(math.nan, 0.0), (0.0, math.inf), (91.0, 0.0), (0.0, -181.0)])
def test_impossible_points_are_refused(lat: float, lon: float) -> None:
    with pytest.raises(ValueError, match="expected"):
        coarsen(lat, lon)


def test_the_bounding_box_holds_the_radius() -> None:
    south, north, west, east = bounding_box(51.5, -0.12, 10)
    assert float(haversine_m(51.5, -0.12, north, -0.12)) >= 9_900
    assert float(haversine_m(51.5, -0.12, 51.5, east)) >= 9_900
    assert south < 51.5 < north and west < -0.12 < east
